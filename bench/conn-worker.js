// A bench client process that holds many authenticated connections (one process alone cannot open 10,000
// sockets quickly: the client, not the server, would be the bottleneck). Driven by its parent over IPC:
//   {cmd: "open", port, token, count, concurrency, params}  → {ok, ms, held}
//   {cmd: "watch", since}   → start recording when each connection receives the next broadcast stamped
//                             at or after `since` (ms since the epoch): `"ts":<ms>` in its payload
//   {cmd: "receipts"}       → {ok, delays: number[]} (ms from the broadcast's stamp to receipt, per connection)
//   {cmd: "close"}          → {ok}, then exits
import { Buffer } from "node:buffer";
import { performance } from "node:perf_hooks";
import { setImmediate } from "node:timers";
import { openAuthed, runPool } from "./client.js";

const conns = [];
const EVENT_PREFIX = Buffer.from('{"type":"event"');
const TS_KEY = Buffer.from('"ts":');
let watching = null;

const now = () => performance.timeOrigin + performance.now();

/** The broadcast's stamp: the first `"ts":<digits>` in the frame (the payload's own timestamp). */
function stampOf(data) {
  const at = data.indexOf(TS_KEY);
  if (at < 0) return NaN;
  let end = at + TS_KEY.length;
  while (end < data.length && data[end] >= 0x30 && data[end] <= 0x39) end++;
  return Number(data.toString("latin1", at + TS_KEY.length, end));
}

function watchConn(conn) {
  conn.ws.on("message", (data) => {
    if (!watching || !Buffer.isBuffer(data) || !EVENT_PREFIX.equals(data.subarray(0, EVENT_PREFIX.length))) {
      return;
    }
    if (watching.seen.has(conn)) return;
    const stamp = stampOf(data);
    if (!(stamp >= watching.since)) return;
    watching.seen.add(conn);
    watching.delays.push(now() - stamp);
  });
}

async function handle(message) {
  switch (message.cmd) {
    case "open": {
      const { port, token, count, concurrency, params } = message;
      const start = performance.now();
      await runPool(count, concurrency, async () => {
        const conn = await openAuthed(port, token, { timeoutMs: 30_000, params });
        watchConn(conn);
        conns.push(conn);
      });
      return { ok: true, ms: performance.now() - start, held: conns.length };
    }
    case "watch":
      watching = { since: message.since, seen: new Set(), delays: [] };
      return { ok: true };
    case "receipts":
      return { ok: true, delays: watching?.delays ?? [] };
    case "close":
      for (const conn of conns) conn.terminate();
      conns.length = 0;
      setImmediate(() => process.exit(0));
      return { ok: true };
    default:
      throw new Error(`unknown command ${message.cmd}`);
  }
}

process.on("message", (message) => {
  handle(message).then(
    (reply) => process.send({ id: message.id, ...reply }),
    (err) => process.send({ id: message.id, ok: false, error: String(err?.message ?? err) }),
  );
});
process.on("disconnect", () => process.exit(0));
