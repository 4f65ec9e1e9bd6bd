import type { IncomingMessage } from "node:http";

export type BodyResult = { ok: true; value: unknown } | { ok: false; status: number; message: string };

/** REFERENCE §7.1: a JSON body of at most `maxBytes`, arriving within `timeoutMs`. */
export function readJsonBody(
  req: IncomingMessage,
  { maxBytes, timeoutMs = 30_000 }: { maxBytes: number; timeoutMs?: number },
): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: BodyResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      // What is left of a refused body is read and dropped, so the response can still be delivered.
      if (!result.ok) req.resume();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ ok: false, status: 408, message: "Request body timeout" }),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) finish({ ok: false, status: 413, message: "Payload too large" });
      else chunks.push(chunk);
    };
    const onEnd = () => {
      const text = Buffer.concat(chunks).toString("utf8");
      try {
        finish({ ok: true, value: text.trim() === "" ? {} : JSON.parse(text) });
      } catch {
        finish({ ok: false, status: 400, message: "Invalid JSON body" });
      }
    };
    const onError = () => finish({ ok: false, status: 400, message: "Request body aborted" });
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes) {
      finish({ ok: false, status: 413, message: "Payload too large" });
    }
  });
}
