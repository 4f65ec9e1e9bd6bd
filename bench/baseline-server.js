// Minimal reference server for the benchmark: Node http + ws (noServer) speaking just enough of protocol v3.
// It sends the connect.challenge, accepts `connect` with a plain token comparison, replies with a small
// hello-ok, and answers `health` with a pre-serialized cached object, and `broadcast` (bench only) with one
// stamped event to every client. Nothing else.
// Usage: BENCH_TOKEN=<token> node bench/baseline-server.js   → prints "listening <port>" when ready.
import http from "node:http";
import { randomUUID } from "node:crypto";
import { setTimeout } from "node:timers";
import { WebSocketServer } from "ws";

const TOKEN = process.env.BENCH_TOKEN ?? "";
const MAX_PAYLOAD = 25 * 1024 * 1024;

// Same shape and size as the gateway's health summary, serialized once.
const HEALTH_JSON = JSON.stringify({
  ok: true,
  channels: {},
  channelOrder: [],
  channelLabels: {},
  heartbeatSeconds: 0,
  defaultAgentId: "main",
  agents: [{ agentId: "main", isDefault: true, heartbeat: null, sessions: 0 }],
  sessions: { path: null, count: 0, recent: [] },
  ts: Date.now(),
  durationMs: 0,
});

const HELLO_JSON = JSON.stringify({
  type: "hello-ok",
  protocol: 3,
  server: { version: "baseline", host: "127.0.0.1" },
  features: { methods: ["health"], events: ["connect.challenge"] },
  policy: { maxPayload: MAX_PAYLOAD, maxBufferedBytes: 52428800, tickIntervalMs: 30000 },
});

function res(id, body) {
  return `{"type":"res","id":${JSON.stringify(id)},${body}}`;
}

function error(id, code, message) {
  return res(id, `"ok":false,"error":${JSON.stringify({ code, message })}`);
}

const server = http.createServer((_req, response) => {
  response.writeHead(426, { "content-type": "text/plain" });
  response.end("upgrade required");
});
const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD });

server.on("upgrade", (request, socket, head) => {
  socket.on("error", () => socket.destroy());
  wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
});

wss.on("connection", (ws) => {
  let authed = false;
  ws.on("error", () => ws.terminate());
  ws.send(
    JSON.stringify({
      type: "event",
      event: "connect.challenge",
      payload: { nonce: randomUUID(), ts: Date.now() },
    }),
  );
  ws.on("message", (data) => {
    let frame;
    try {
      frame = JSON.parse(data.toString());
    } catch {
      if (!authed) ws.close(1000);
      return;
    }
    if (!frame || frame.type !== "req" || typeof frame.id !== "string" || typeof frame.method !== "string") {
      if (!authed) ws.close(1008, "invalid request frame");
      else ws.send(error("invalid", "INVALID_REQUEST", "invalid request frame"));
      return;
    }
    if (!authed) {
      if (frame.method !== "connect" || frame.params?.auth?.token !== TOKEN) {
        ws.send(error(frame.id, "INVALID_REQUEST", "unauthorized"));
        ws.close(1008, "unauthorized");
        return;
      }
      authed = true;
      ws.send(res(frame.id, `"ok":true,"payload":${HELLO_JSON}`));
      return;
    }
    if (frame.method === "health") ws.send(res(frame.id, `"ok":true,"payload":${HEALTH_JSON}`));
    else if (frame.method === "broadcast") {
      // The bench's broadcast: one event, stamped, to every client (as a gateway's tick would go).
      ws.send(res(frame.id, `"ok":true,"payload":{}`));
      const head = `{"type":"event","event":"tick","payload":{"ts":${Date.now()}},"seq":`;
      for (const client of wss.clients) {
        client.seq = (client.seq ?? 0) + 1;
        client.send(`${head}${client.seq}}`);
      }
    } else ws.send(error(frame.id, "INVALID_REQUEST", `unknown method: ${frame.method}`));
  });
});

server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});

function shutdown() {
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
  // Keep-alive sockets or a slow close must not keep us alive.
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
