import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Inspection } from "../src/actors/inspection.js";
import type { ActorTreeNode } from "../src/protocol/actor-inspection.js";
import { ChannelManager } from "../src/channels/channel-manager.js";
import type { InboundMessage } from "../src/channels/types.js";
import { validateConfigObject } from "../src/config/load.js";
import type { CoderclawConfig } from "../src/config/schema.js";
import { fileLogger, loggedLine } from "./helpers/in-process.js";
import { lineChannel } from "./helpers/line-channel.js";

/** A TCP server standing in for a chat network: it counts connections and can talk to the latest one. */
async function lineServer() {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const received: string[] = [];
  server.on("connection", (socket) =>
    socket.on("data", (data) => received.push(...data.toString().split("\n").filter(Boolean))),
  );
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const until = async (check: () => boolean, timeoutMs = 3_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

function configWith(channels: Record<string, unknown>): CoderclawConfig {
  const { issues, config } = validateConfigObject({ channels });
  expect(issues).toEqual([]);
  return config;
}

const findNode = (nodes: ActorTreeNode[], id: string): ActorTreeNode | undefined => {
  for (const node of nodes) {
    if (node.id === id) return node;
    const found = findNode(node.children, id);
    if (found) return found;
  }
  return undefined;
};

describe("channel manager", () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof lineServer>>;
  let manager: ChannelManager | null = null;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-channels-"));
    server = await lineServer();
  });

  afterEach(async () => {
    await manager?.stop();
    manager = null;
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function startManager(
    channels: Record<string, unknown>,
    plugins = [lineChannel("line"), lineChannel("other")],
  ) {
    const inspection = new Inspection();
    const inbound: InboundMessage[] = [];
    manager = new ChannelManager({
      config: configWith(channels),
      env: {},
      plugins,
      logger: fileLogger(dir),
      inspect: inspection.inspect,
      onInbound: (_account, message) => inbound.push(message),
      delays: { stopTimeout: 200 },
    });
    manager.start();
    return { manager, inspection, inbound, plugins };
  }

  it("runs each configured account as channel:<id>:<account> in the actor tree, and reports the others", async () => {
    const { manager, inspection, inbound } = startManager({
      line: { port: server.port },
      other: { enabled: false },
    });
    await until(() => server.sockets.length === 1);
    await until(() => manager.account("line").state === "running");
    const node = findNode(inspection.tree(), "channel:line:default");
    expect(node).toMatchObject({ state: "running", status: "active" });
    expect(findNode(inspection.tree(), "channel:other:default")).toMatchObject({ state: "disabled" });

    server.sockets[0]!.write("alice hello there\n");
    await until(() => inbound.length === 1);
    expect(inbound[0]).toMatchObject({ sender: { id: "alice" }, text: "hello there" });

    const status = await manager.status(false, 1_000);
    expect(status.channelOrder).toEqual(["line", "other"]);
    expect(status.channelAccounts.line?.[0]).toMatchObject({
      accountId: "default",
      enabled: true,
      configured: true,
      running: true,
      connected: true,
      state: "running",
    });
    expect(status.channelAccounts.line?.[0]?.lastInboundAt).toEqual(expect.any(Number));
    expect(status.channelAccounts.other?.[0]).toMatchObject({
      enabled: false,
      running: false,
      lastError: "disabled",
    });
  });

  it("delivers a reply in the channel's chunks, in order", async () => {
    const { manager } = startManager({ line: { port: server.port } });
    await until(() => manager.account("line").state === "running");
    const chunks = await manager.deliver(
      { channel: "line", accountId: "default", to: "bob" },
      "0123456789abcdefghijXYZ",
    );
    expect(chunks).toBe(3);
    await until(() => server.received.length === 3);
    expect(server.received).toEqual(["bob 0123456789", "bob abcdefghij", "bob XYZ"]);
    expect((await manager.status(false, 1_000)).channelAccounts.line?.[0]?.lastOutboundAt).toEqual(
      expect.any(Number),
    );
  });

  it("a config change restarts only the changed channel's accounts", async () => {
    const second = await lineServer();
    try {
      const { manager, plugins } = startManager({
        line: { port: server.port },
        other: { port: second.port },
      });
      await until(() => server.sockets.length === 1 && second.sockets.length === 1);
      await manager.applyConfig(
        configWith({ line: { port: server.port, allowFrom: ["x"] }, other: { port: second.port } }),
        ["channels.line.allowFrom"],
      );
      await until(() => server.sockets.length === 2 && manager.account("line").state === "running");
      expect(second.sockets).toHaveLength(1);
      expect(plugins[0]!.starts[0]!.aborted).toBe(true);
      expect(plugins[1]!.starts).toHaveLength(1);
      expect(plugins[1]!.starts[0]!.aborted).toBe(false);
    } finally {
      await manager?.stop();
      manager = null;
      await second.close();
    }
  });

  it("a restart whose stop hangs abandons that transport and opens a fresh one", async () => {
    const { manager, plugins } = startManager({ line: { port: server.port, hangOnStop: true } });
    await until(() => manager.account("line").state === "running");
    manager.account("line").send({ type: "RESTART", reason: "health-monitor: running but not connected" });
    await until(() => server.sockets.length === 2 && manager.account("line").state === "running");
    expect(plugins[0]!.starts[0]!.aborted).toBe(true);
    expect(plugins[0]!.starts[1]!.aborted).toBe(false);
    await loggedLine(dir, (entry) =>
      String(entry.message).includes("[line:default] stop timed out; abandoning its transport"),
    );
  });

  it("when the server goes away, the account says when it will retry", async () => {
    const { manager } = startManager({ line: { port: server.port } });
    await until(() => manager.account("line").state === "running");
    server.sockets[0]!.destroy();
    await until(() => manager.account("line").state === "reconnecting");
    const snapshot = (await manager.status(false, 1_000)).channelAccounts.line?.[0];
    expect(snapshot).toMatchObject({
      running: false,
      connected: false,
      reconnectAttempts: 1,
      lastError: "server closed the connection",
    });
    expect(snapshot?.nextAttemptAt).toBeGreaterThan(Date.now() + 3_000);
    await loggedLine(dir, (entry) =>
      /\[line:default\] auto-restart attempt 1 in [45]s/.test(String(entry.message)),
    );
  });
});
