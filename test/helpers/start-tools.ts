import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import os from "node:os";
import {
  CLI,
  killAll,
  localConfig,
  makeTempHome,
  type GatewayProcess,
  type TempHome,
} from "./gateway-process.js";

/** A port that was free a moment ago: bind 127.0.0.1:0, read the port, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether `host:port` can be bound right now (nothing else listens there). */
export function canBind(port: number, host = "0.0.0.0"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Holds `127.0.0.1:port` in this process; resolves null when something else already holds it. */
export function holdPort(port: number): Promise<net.Server | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(null));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => resolve(server));
  });
}

export function closeServer(server: net.Server | null): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

/** Whether a pid is gone (kill(pid, 0) fails with ESRCH). */
export function pidGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

export interface Spawned {
  child: ChildProcess;
  pid: number;
  output(): { stdout: string; stderr: string };
  /** Resolves when the process has exited and been reaped. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until stdout matches `pattern` (rejects if the process exits first or on timeout). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

const tracked = new Set<ChildProcess>();

function track(child: ChildProcess, label: string): Spawned {
  tracked.add(child);
  let stdout = "";
  let stderr = "";
  let closed = false;
  const listeners = new Set<() => void>();
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    listeners.forEach((wake) => wake());
  });
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  // "close" comes after "exit" and after stdout/stderr are drained, so the output is complete.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => {
      tracked.delete(child);
      closed = true;
      listeners.forEach((wake) => wake());
      resolve({ code, signal });
    }),
  );
  const waitFor = (pattern: RegExp, timeoutMs = 10_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(stdout);
        if (match) {
          done();
          resolve(match);
        } else if (closed) {
          done();
          reject(
            new Error(`${label} exited before printing ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `${label} did not print ${pattern} in ${timeoutMs}ms\nstdout:\n${stdout}\nstderr:\n${stderr}`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  return { child, pid: child.pid as number, output: () => ({ stdout, stderr }), exited, waitFor };
}

/** `coderclaw <args>` left running (for starts the stock helper cannot wait for, e.g. a 0.0.0.0 bind). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv): Spawned {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  return track(child, `coderclaw ${args.join(" ")}`);
}

/**
 * A plain node process (not a gateway) listening on 127.0.0.1:`port`; resolves once it listens.
 * With `ignoreSigterm` it survives SIGTERM and only SIGKILL ends it.
 */
export async function spawnPortHolder(
  port: number,
  options: { ignoreSigterm?: boolean } = {},
): Promise<Spawned> {
  const script = [
    options.ignoreSigterm ? 'process.on("SIGTERM", () => {});' : "",
    'const server = require("node:net").createServer();',
    `server.listen({ host: "127.0.0.1", port: ${port}, exclusive: true }, () => console.log("holding"));`,
  ].join("\n");
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  const holder = track(child, `port holder on ${port}`);
  await holder.waitFor(/holding/, 5_000);
  return holder;
}

/** SIGKILLs every process started here that is still running (call from afterEach). */
export async function killSpawned(): Promise<void> {
  await Promise.all(
    [...tracked].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
}

/**
 * Temp homes for tests that run the CLI: TMPDIR is the test's own (the instance lock lives there, so
 * CLI and test must agree). Every home, and every gateway pushed to `gateways`, is stopped and removed
 * after each test.
 */
export function useCliHomes() {
  const homes: TempHome[] = [];
  const gateways: GatewayProcess[] = [];
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((gateway) => gateway.stop()));
    await killAll();
    homes.splice(0).forEach((home) => home.cleanup());
  });
  const empty = (): TempHome => {
    const home = makeTempHome();
    home.env.TMPDIR = os.tmpdir();
    homes.push(home);
    return home;
  };
  return {
    gateways,
    empty,
    /** A home whose config is written for a free port (a local gateway with the test token by default). */
    async configured(config: (port: number) => Record<string, unknown> = (port) => localConfig({ port })) {
      const home = empty();
      const port = await freePort();
      home.writeConfig(config(port));
      return { home, port };
    },
  };
}
