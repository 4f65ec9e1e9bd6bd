import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";

import { findPortListeners, forceFreePort, isPortFree } from "../src/host/port-owner.js";
import type { ListenerSource, PortOwnerError } from "../src/host/port-owner.js";

const children: ChildProcess[] = [];
const servers: net.Server[] = [];
const hasLsof = (process.env.PATH ?? "")
  .split(path.delimiter)
  .concat("/usr/sbin", "/sbin")
  .some((dir) => dir && existsSync(path.join(dir, "lsof")));

interface Listening {
  child: ChildProcess & { pid: number };
  port: number;
}

async function spawnListener(host = "127.0.0.1", ignoreSigterm = false): Promise<Listening> {
  const script = [
    ignoreSigterm ? "process.on('SIGTERM', () => {});" : "",
    "const s = require('net').createServer();",
    `s.listen(0, ${JSON.stringify(host)}, () => console.log(s.address().port));`,
  ].join("\n");
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n")) resolve(Number(out.trim()));
    });
    child.once("error", reject);
    child.once("exit", (code, sig) => reject(new Error(`listener exited early (${code ?? sig})`)));
  });
  return { child: child as ChildProcess & { pid: number }, port };
}

function exitOf(child: ChildProcess): Promise<NodeJS.Signals | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once("exit", (_code, sig) => resolve(sig)));
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

afterEach(async () => {
  await Promise.all(
    children.splice(0).map(async (child) => {
      const exited = exitOf(child);
      child.kill("SIGKILL");
      await exited;
    }),
  );
  await Promise.all(
    servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
});

describe("findPortListeners", () => {
  it("finds a child listening on an ephemeral loopback port via /proc, with pid, command and address", async () => {
    const { child, port } = await spawnListener();
    const listeners = await findPortListeners(port, { source: "proc" });
    expect(listeners).toHaveLength(1);
    expect(listeners[0]?.pid).toBe(child.pid);
    expect(listeners[0]?.command.startsWith(`${process.execPath} -e`)).toBe(true);
    expect(listeners[0]?.address).toBe(`127.0.0.1:${port}`);
  });

  it("prints an IPv6 loopback listener as [::1]:port", async () => {
    const { child, port } = await spawnListener("::1");
    const listeners = await findPortListeners(port, { source: "proc" });
    expect(listeners).toEqual([expect.objectContaining({ pid: child.pid, address: `[::1]:${port}` })]);
  });

  it("reports a wildcard IPv4 listener as 0.0.0.0:port", async () => {
    const { child, port } = await spawnListener("0.0.0.0");
    const listeners = await findPortListeners(port, { source: "proc" });
    expect(listeners).toEqual([expect.objectContaining({ pid: child.pid, address: `0.0.0.0:${port}` })]);
  });

  it("returns an empty list for a port nobody listens on", async () => {
    const port = await freePort();
    await expect(findPortListeners(port, { source: "proc" })).resolves.toEqual([]);
    await expect(findPortListeners(port)).resolves.toEqual([]);
  });

  (hasLsof ? it : it.skip)("finds the same listener through lsof when it is installed", async () => {
    const { child, port } = await spawnListener();
    const listeners = await findPortListeners(port, { source: "lsof" });
    expect(listeners).toEqual([
      expect.objectContaining({ pid: child.pid, command: expect.stringContaining("node") }),
    ]);
    expect(listeners[0]?.address).toBe(`127.0.0.1:${port}`);
  });
});

const sources: ListenerSource[] = hasLsof ? ["proc", "lsof"] : ["proc"];

describe.each(sources)("forceFreePort (listeners via %s)", (source) => {
  it("terminates a listener that exits on SIGTERM without escalating", async () => {
    const { child, port } = await spawnListener();
    const exited = exitOf(child);
    const lines: string[] = [];

    const result = await forceFreePort(port, { source, log: (line) => lines.push(line) });
    expect(result.escalated).toBe(false);
    expect(result.killed.map((l) => l.pid)).toEqual([child.pid]);
    expect(await exited).toBe("SIGTERM");
    expect(await isPortFree(port, "127.0.0.1")).toBe(true);
    expect(lines[0]).toBe(`force: killed pid ${child.pid} (${result.killed[0]?.command}) on port ${port}`);
    expect(lines).not.toContain(`force: escalated to SIGKILL while freeing port ${port}`);
    expect(lines.at(-1)).toBe(`force: waited ${result.waitedMs}ms for port ${port} to free`);
  });

  it("escalates to SIGKILL for a listener that ignores SIGTERM", async () => {
    const { child, port } = await spawnListener("127.0.0.1", true);
    const exited = exitOf(child);
    const lines: string[] = [];

    const result = await forceFreePort(port, { source, log: (line) => lines.push(line) });
    expect(result.escalated).toBe(true);
    expect(result.waitedMs).toBeGreaterThanOrEqual(700);
    expect(await exited).toBe("SIGKILL");
    expect(await isPortFree(port, "127.0.0.1")).toBe(true);
    expect(lines).toContain(`force: escalated to SIGKILL while freeing port ${port}`);
    expect(lines.at(-1)).toBe(`force: waited ${result.waitedMs}ms for port ${port} to free`);
  });

  it("logs 'no listeners' and kills nothing when the port is free", async () => {
    const port = await freePort();
    const lines: string[] = [];
    const result = await forceFreePort(port, { source, log: (line) => lines.push(line) });
    expect(result).toEqual({ killed: [], escalated: false, waitedMs: 0 });
    expect(lines).toEqual([`force: no listeners on port ${port}`]);
  });

  it("never signals its own process and fails when only it holds the port", async () => {
    const server = net.createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;

    const err = (await forceFreePort(port, { source, timeoutMs: 300, sigtermMs: 100 }).catch(
      (e: unknown) => e,
    )) as PortOwnerError | undefined;
    expect(err?.message).toBe(`port ${port} still has listeners after --force: ${process.pid}`);
    expect(err?.code).toBe("FORCE_FAILED");
    expect(server.listening).toBe(true);
  });
});

describe("isPortFree", () => {
  it("is false while a process listens on the port and true once it is gone", async () => {
    const { child, port } = await spawnListener();
    expect(await isPortFree(port, "127.0.0.1")).toBe(false);
    const exited = exitOf(child);
    child.kill("SIGKILL");
    await exited;
    expect(await isPortFree(port, "127.0.0.1")).toBe(true);
  });
});
