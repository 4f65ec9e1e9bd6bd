import http from "node:http";
import type { AddressInfo } from "node:net";

/** How the fake server answers one request. */
export interface FakeReply {
  /** HTTP status (default 200); other statuses send an OpenAI-style error body. */
  status?: number;
  headers?: Record<string, string>;
  /** The error body's `error` for non-200 replies. */
  error?: { message: string; type?: string; code?: string | null };
  /** Content pieces, one `chat.completion.chunk` each (default ["Hel", "lo", "!"]). */
  content?: string[];
  /** Raw body pieces written exactly as given instead of `content` (split lines, odd framing). */
  raw?: (string | Buffer)[];
  /** Sent in a last chunk with empty `choices`, as OpenAI does with `stream_options.include_usage`. */
  usage?: Record<string, number>;
  /** Wait before the response head. */
  delayMs?: number;
  /** Wait between body pieces. */
  intervalMs?: number;
  /** Keep the stream open after the content: no finish chunk, no [DONE]. */
  hang?: boolean;
  /** Cut the connection shortly after the body pieces, mid-response, as a crashing server would. */
  cut?: boolean;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  receivedAt: number;
  /** Settles when the exchange ends; `completed` is false when the client went away mid-response. */
  closed: Promise<{ completed: boolean }>;
}

export interface FakeOpenAIServer {
  /** `http://127.0.0.1:<port>/v1`, as a provider's `baseUrl`. */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Replies for the next requests, in order; once used up, requests get the server's default reply. */
  reply(...replies: FakeReply[]): void;
  close(): Promise<void>;
}

export const MODEL = "m";
export const DONE_EVENT = "data: [DONE]\n\n";

/** One SSE event carrying a `chat.completion.chunk`, byte-for-byte in OpenAI's shape. */
export function chunkEvent(
  delta: { role?: string; content?: string },
  finishReason: string | null = null,
  extra: Record<string, unknown> = {},
): string {
  const chunk = {
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: MODEL,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
    ...extra,
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** The events of a complete streamed answer: role, one chunk per piece, finish, [DONE]. */
export function completionEvents(content: string[], usage?: Record<string, number>): string[] {
  return [
    chunkEvent({ role: "assistant", content: "" }),
    ...content.map((piece) => chunkEvent({ content: piece })),
    chunkEvent({}, "stop"),
    ...(usage ? [chunkEvent({}, null, { choices: [], usage })] : []),
    DONE_EVENT,
  ];
}

/** A local OpenAI-compatible Chat Completions server speaking the real wire format, scripted per test. */
export async function startFakeOpenAIServer(defaultReply: FakeReply = {}): Promise<FakeOpenAIServer> {
  const queue: FakeReply[] = [];
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  async function respond(reply: FakeReply, res: http.ServerResponse): Promise<void> {
    if (reply.delayMs) await wait(reply.delayMs);
    if (res.destroyed) return;
    const status = reply.status ?? 200;
    if (status !== 200) {
      const error = { message: "fake failure", type: "invalid_request_error", code: null, ...reply.error };
      res.writeHead(status, { "content-type": "application/json", ...reply.headers });
      res.end(JSON.stringify({ error }));
      return;
    }
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      ...reply.headers,
    });
    const content = reply.content ?? ["Hel", "lo", "!"];
    const pieces =
      reply.raw ??
      (reply.hang
        ? [
            chunkEvent({ role: "assistant", content: "" }),
            ...content.map((piece) => chunkEvent({ content: piece })),
          ]
        : completionEvents(content, reply.usage));
    for (const [index, piece] of pieces.entries()) {
      if (index > 0 && reply.intervalMs) await wait(reply.intervalMs);
      if (res.destroyed) return;
      res.write(piece);
    }
    if (reply.cut) {
      // Let the client read what was sent first: an errored stream drops chunks it has not handed out.
      await wait(50);
      res.socket?.destroy();
    } else if (!reply.hang) res.end();
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Keep the raw text: the test will see what was sent.
      }
      requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body,
        receivedAt: Date.now(),
        closed: new Promise((resolve) => res.on("close", () => resolve({ completed: res.writableFinished }))),
      });
      void respond(queue.shift() ?? defaultReply, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    reply: (...replies) => queue.push(...replies),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
