/**
 * The connection runtime in-process, on a real HTTP server and real WebSocket clients: what happens to
 * one connection when an action of its machine throws (a bug), and to every other connection.
 */
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { WebSocketServer } from "ws";
import { ConnectionRuntime } from "../src/actors/connection-runtime.js";
import { HelloOk } from "../src/actors/hello-ok.js";
import { Inspection } from "../src/actors/inspection.js";
import type { InspectTransition } from "../src/protocol/actor-inspection.js";
import { defaultConfig } from "../src/config/load.js";
import { ActivityLog } from "../src/log/activity-log.js";
import type { GatewayLogger } from "../src/log/logger.js";
import { Dispatcher } from "../src/methods/dispatcher.js";
import type { GatewayServices } from "../src/methods/services.js";
import type { ClientConnection } from "../src/transport/client-connection.js";
import { TEST_TOKEN } from "./helpers/gateway-process.js";
import { fileLogger, loggedLine } from "./helpers/in-process.js";
import { waitFor } from "./helpers/wait-for.js";
import { WsPeer, connectParams } from "./helpers/ws-peer.js";
import { GatewayAccess } from "../src/transport/access.js";

describe("connection runtime", () => {
  let dir: string;
  let logger: GatewayLogger;
  let server: http.Server;
  let runtime: ConnectionRuntime;
  let url: string;
  const connections = new Map<string, ClientConnection>();
  const inspection = new Inspection();
  const peers: WsPeer[] = [];
  /** The presence source breaks once, as a bug in building hello-ok would. */
  let presenceFailures = 1;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "coderclaw-runtime-"));
    logger = fileLogger(dir, [TEST_TOKEN]);
    const config = defaultConfig();
    const helloOk = new HelloOk({
      version: "test",
      startedAt: Date.now(),
      configPath: path.join(dir, "coderclaw.json"),
      stateDir: dir,
      authMode: "token",
      config: () => config,
      methods: [],
      presence: () => {
        if (presenceFailures-- > 0) throw new TypeError("presence table is broken");
        return { version: 1, entries: [], total: 1 };
      },
      health: () => ({ version: 1, summary: {} }),
    });
    runtime = new ConnectionRuntime({
      config,
      access: new GatewayAccess(
        { mode: "token", token: TEST_TOKEN, password: null, tokenSource: "config", passwordSource: null },
        config,
        logger.child("ws"),
      ),
      lifecycleState: () => "ready",
      connections,
      // No methods: these clients never get past the handshake in a way that reaches the dispatcher.
      dispatcher: new Dispatcher([], {} as GatewayServices, logger.child("rpc")),
      inspection,
      log: logger.child("ws"),
      helloOk,
      onJoined: () => {},
      onLeft: () => {},
      activity: new ActivityLog(logger, () => null),
    });
    const wss = new WebSocketServer({ noServer: true });
    server = http.createServer();
    server.on("upgrade", (request, socket, head) =>
      wss.handleUpgrade(request, socket, head, (ws) => runtime.accept(ws, request)),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    try {
      peers.forEach((peer) => peer.close());
      runtime?.stop();
      server?.closeAllConnections();
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
      await logger?.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** The first JSON log line with this message, once the file transport has written it. */
  const logged = (message: string) => loggedLine(dir, (entry) => entry.message === message);

  async function open(): Promise<WsPeer> {
    const peer = await WsPeer.open(url);
    peers.push(peer);
    return peer;
  }

  it("ends only the connection whose action threw: its socket closes, the error is logged, others are served", async () => {
    const broken = await open();
    const closed = broken.waitClose();
    await broken.challenge();
    broken.send({
      type: "req",
      id: "c1",
      method: "connect",
      params: connectParams({ auth: { token: TEST_TOKEN } }),
    });
    expect((await closed).code).toBe(1006);
    expect(connections.size).toBe(0);
    // The failed actor is gone from the live tree too (it never reports a snapshot of its own).
    expect(inspection.tree().map((node) => [node.id, node.children.length])).toEqual([["connections", 0]]);

    const healthy = await open();
    const res = await healthy.connect({ auth: { token: TEST_TOKEN } });
    expect(res.ok).toBe(true);
    expect(connections.size).toBe(1);

    const failure = await logged("connection failed");
    expect(failure).toMatchObject({
      level: "error",
      subsystem: "ws",
      error: "TypeError: presence table is broken",
    });
  });

  it("lists connections on demand, and streams their transitions only while someone follows", async () => {
    const connectionsNode = () => inspection.tree().find((node) => node.id === "connections")!;
    const first = await open();
    expect((await first.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
    const before = connectionsNode().children;
    expect(before.map((child) => child.state)).toContain("ready");
    expect(
      before.every((child) => child.id.startsWith("connection:") && child.machine === "connection"),
    ).toBe(true);

    const changes: InspectTransition[] = [];
    const listener = (change: InspectTransition) => changes.push(change);
    inspection.follow(listener);
    try {
      const second = await open();
      expect((await second.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
      const connId = (
        second.frames.find((frame) => frame.id !== undefined)?.payload as { server: { connId: string } }
      ).server.connId;
      const mine = () => changes.filter((change) => change.actor.id === `connection:${connId}`);
      expect(mine().map((change) => [change.kind, change.actor.state])).toEqual([
        ["actor", null],
        ["transition", "awaiting-connect"],
        ["transition", "challenged"],
        ["transition", "ready"],
      ]);
      // Followed, the tree lists the same connections.
      expect(connectionsNode().children.length).toBe(before.length + 1);
      const closed = second.waitClose();
      second.close();
      await closed;
      await waitFor("the connection actor stopped", () =>
        mine().at(-1)?.kind === "stopped" ? true : undefined,
      );
      expect(mine().at(-1)).toMatchObject({ kind: "stopped", actor: { state: "closed", status: "done" } });
      expect(connectionsNode().children.length).toBe(before.length);
    } finally {
      inspection.unfollow(listener);
    }

    // Nobody follows: nothing is streamed, and the tree still lists every connection as it is now.
    const seen = changes.length;
    const third = await open();
    expect((await third.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
    expect(changes.length).toBe(seen);
    expect(connectionsNode().children.length).toBe(before.length + 1);
    // The connections' parent and every connection.
    expect(inspection.count()).toBe(1 + connections.size);
  });
});
