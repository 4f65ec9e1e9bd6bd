/** A real IRC server for tests: Debian's ngircd, in the foreground with its own config and port. */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const NGIRCD = "/usr/sbin/ngircd";

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export interface Ngircd {
  port: number;
  /** Starts the server (again) on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** SIGKILL: the server goes away without a word, as a crashed or unreachable one would. */
  kill(): Promise<void>;
  /** Stops it and removes its files. */
  stop(): Promise<void>;
}

export async function startNgircd(channels: string[] = ["#room"]): Promise<Ngircd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-ngircd-"));
  const port = await freePort();
  const configFile = path.join(dir, "ngircd.conf");
  fs.writeFileSync(
    configFile,
    [
      "[Global]",
      "Name = irc.test.local",
      "Info = CoderClaw test server",
      "Listen = 127.0.0.1",
      `Ports = ${port}`,
      `PidFile = ${path.join(dir, "ngircd.pid")}`,
      "MotdPhrase = test",
      "[Limits]",
      "MaxConnectionsIP = 0",
      "MaxNickLength = 30",
      "[Options]",
      "PAM = no",
      "Ident = no",
      "DNS = no",
      ...channels.flatMap((name) => ["[Channel]", `Name = ${name}`, "Modes = tn"]),
      "",
    ].join("\n"),
  );
  let child: ChildProcess | null = null;
  const exited = () =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
    });
  const server: Ngircd = {
    port,
    async start() {
      child = spawn(NGIRCD, ["-n", "-f", configFile], { stdio: "ignore" });
      const deadline = Date.now() + 5_000;
      while (!(await portAccepts(port))) {
        if (Date.now() > deadline) throw new Error(`ngircd did not listen on ${port}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async kill() {
      const done = exited();
      child?.kill("SIGKILL");
      await done;
      child = null;
    },
    async stop() {
      const done = exited();
      child?.kill("SIGTERM");
      await done;
      child = null;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
