// Protocol v3 client pieces used by the bench: authenticated connections, handshakes, requests.
import { performance } from "node:perf_hooks";
import { setTimeout, clearTimeout } from "node:timers";
import { Buffer } from "node:buffer";
import WebSocket from "ws";

const HOST = "127.0.0.1";
const CONNECT_ID = "c1";

function connectFrame(token, extra) {
  return JSON.stringify({
    type: "req",
    id: CONNECT_ID,
    method: "connect",
    params: {
      minProtocol: 3,
      maxProtocol: 3,
      client: { id: "bench", version: "1", platform: "linux", mode: "test" },
      auth: { token },
      ...extra,
    },
  });
}

// Event frames (tick, presence, health …) are skipped without parsing: the client must stay cheap so that
// the figures measure the server, and presence events can be large.
const EVENT_PREFIX = Buffer.from('{"type":"event"');
const isEventFrame = (data) =>
  Buffer.isBuffer(data) &&
  data.length >= EVENT_PREFIX.length &&
  EVENT_PREFIX.equals(data.subarray(0, EVENT_PREFIX.length));

const HELLO_OK_PREFIX = Buffer.from(
  `{"type":"res","id":"${CONNECT_ID}","ok":true,"payload":{"type":"hello-ok"`,
);

const RES_PREFIX = Buffer.from('{"type":"res","id":"');
const OK_TRUE = Buffer.from(',"ok":true');

const frameCache = new Map();
function cachedConnectFrame(token, extra) {
  const key = extra ? `${token} ${JSON.stringify(extra)}` : token;
  let frame = frameCache.get(key);
  if (!frame) frameCache.set(key, (frame = connectFrame(token, extra)));
  return frame;
}

/** An authenticated connection: requests are matched to responses by id; event frames are ignored. */
export class Conn {
  constructor(ws) {
    this.ws = ws;
    this.pending = new Map();
    this.runs = new Map();
    this.nextId = 0;
    this.closed = false;
    ws.on("message", (data) => this.onMessage(data));
    ws.on("close", () => {
      this.closed = true;
      const err = new Error("connection closed");
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  onMessage(data) {
    if (isEventFrame(data)) return;
    // Fast path for `request(method, { payload: false })`: a successful response is recognised from its
    // prefix and id without parsing the payload (our ids are `r<n>`, so they need no unescaping).
    if (Buffer.isBuffer(data) && RES_PREFIX.equals(data.subarray(0, RES_PREFIX.length))) {
      const idEnd = data.indexOf(0x22, RES_PREFIX.length);
      if (idEnd > 0 && OK_TRUE.equals(data.subarray(idEnd + 1, idEnd + 1 + OK_TRUE.length))) {
        const id = data.toString("latin1", RES_PREFIX.length, idEnd);
        const p = this.pending.get(id);
        if (p && !p.wantPayload) {
          this.pending.delete(id);
          return p.resolve(true);
        }
      }
    }
    let frame;
    try {
      frame = JSON.parse(data.toString());
    } catch {
      return;
    }
    if (frame.type !== "res") return;
    const run = this.runs.get(frame.id);
    if (run) return this.onRunResponse(frame, run);
    const p = this.pending.get(frame.id);
    if (!p) return;
    this.pending.delete(frame.id);
    if (frame.ok) p.resolve(p.wantPayload ? frame.payload : true);
    else p.reject(new Error(`${frame.error?.code ?? "ERROR"}: ${frame.error?.message ?? "request failed"}`));
  }

  /**
   * Send `{type:"req", id, method}`; resolves with the response payload, or with `true` when
   * `payload: false` (then the payload is not parsed), and rejects on an error response.
   */
  request(method, { payload = true, params } = {}) {
    if (this.closed) return Promise.reject(new Error("connection closed"));
    const id = `r${++this.nextId}`;
    const tail = params === undefined ? "" : `,"params":${JSON.stringify(params)}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, wantPayload: payload });
      this.ws.send(`{"type":"req","id":"${id}","method":"${method}"${tail}}`);
    });
  }

  /** `agent` answers twice on one id: the ack, then the final. Resolves with both latencies (ms). */
  agentRun(params) {
    if (this.closed) return Promise.reject(new Error("connection closed"));
    const id = `a${++this.nextId}`;
    return new Promise((resolve, reject) => {
      this.runs.set(id, { t0: performance.now(), ackMs: null, resolve, reject });
      this.ws.send(JSON.stringify({ type: "req", id, method: "agent", params }));
    });
  }

  onRunResponse(frame, run) {
    if (!frame.ok) {
      this.runs.delete(frame.id);
      return run.reject(new Error(`${frame.error?.code}: ${frame.error?.message}`));
    }
    const elapsed = performance.now() - run.t0;
    if (frame.payload?.status === "accepted") {
      run.ackMs = elapsed;
      return;
    }
    this.runs.delete(frame.id);
    run.resolve({ ackMs: run.ackMs ?? elapsed, totalMs: elapsed });
  }

  /** Close handshake; resolves once the socket is closed (or terminates it after timeoutMs). */
  close(timeoutMs = 2000) {
    if (this.closed || this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, timeoutMs);
      this.ws.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.close(1000);
    });
  }

  terminate() {
    this.ws.terminate();
  }
}

/**
 * open → connect.challenge → connect (with `params` merged into the connect params) → hello-ok. Resolves with a
 * Conn (its `helloBytes` is the hello-ok's size); rejects on refusal, error response,
 * early close or timeout (the socket is terminated then).
 */
export function openAuthed(port, token, { timeoutMs = 5000, params } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${HOST}:${port}`, {
      perMessageDeflate: false,
      maxPayload: 25 * 1024 * 1024,
    });
    let done = false;
    const finish = (err, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.removeListener("message", onMessage);
      if (err) {
        ws.terminate();
        reject(err);
      } else resolve(value);
    };
    const timer = setTimeout(() => finish(new Error(`handshake timed out after ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (data) => {
      // Fast path: the hello-ok carries the presence list, which grows with the number of connections;
      // parsing it here would make the client, not the server, the bottleneck of the 1000-connection figure.
      if (Buffer.isBuffer(data) && HELLO_OK_PREFIX.equals(data.subarray(0, HELLO_OK_PREFIX.length))) {
        const conn = new Conn(ws);
        conn.helloBytes = data.length;
        return finish(null, conn);
      }
      let frame;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        return finish(new Error("non-JSON frame during handshake"));
      }
      if (frame.type === "event" && frame.event === "connect.challenge") {
        ws.send(cachedConnectFrame(token, params));
      } else if (frame.type === "res" && frame.id === CONNECT_ID) {
        if (frame.ok && frame.payload?.type === "hello-ok") finish(null, new Conn(ws));
        else finish(new Error(`connect rejected: ${frame.error?.code} ${frame.error?.message}`));
      }
    };
    ws.on("message", onMessage);
    ws.on("error", (err) => finish(err));
    ws.on("close", (code, reason) => finish(new Error(`closed during handshake: ${code} ${reason}`)));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll-connect every intervalMs until a hello-ok arrives; resolves with {conn, attempts}. */
export async function pollUntilHello(port, token, { intervalMs = 20, deadlineMs = 15000 } = {}) {
  const deadline = performance.now() + deadlineMs;
  let attempts = 0;
  let lastError;
  while (performance.now() < deadline) {
    attempts++;
    try {
      const conn = await openAuthed(port, token, { timeoutMs: Math.max(100, deadline - performance.now()) });
      return { conn, attempts };
    } catch (err) {
      lastError = err;
      await sleep(intervalMs);
    }
  }
  throw new Error(`no hello-ok within ${deadlineMs} ms (${attempts} attempts; last: ${lastError?.message})`);
}

/** Run `worker(i)` for i in [0,total) with at most `concurrency` in flight. */
export async function runPool(total, concurrency, worker) {
  let next = 0;
  let failed = false;
  const lanes = [];
  for (let w = 0; w < Math.min(concurrency, total); w++) {
    lanes.push(
      (async () => {
        try {
          while (next < total && !failed) await worker(next++);
        } catch (err) {
          failed = true; // stop the other lanes too
          throw err;
        }
      })(),
    );
  }
  await Promise.all(lanes);
}

/** One full handshake cycle: open, authenticate, close. */
export async function handshakeCycle(port, token) {
  const conn = await openAuthed(port, token);
  await conn.close();
}
