import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { lockPathFor } from "../../src/host/instance-lock.js";
import { runtimeRecordPathFor } from "../../src/host/runtime-record.js";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const CLI = path.join(REPO_ROOT, "bin", "run.js");

export interface TempHome {
  home: string;
  stateDir: string;
  configPath: string;
  env: NodeJS.ProcessEnv;
  writeConfig(config: Record<string, unknown>): void;
  cleanup(): void;
}

/** A throwaway HOME with its own state dir, and an environment that points only there. */
export function makeTempHome(): TempHome {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-test-"));
  const stateDir = path.join(home, ".coderclaw");
  const configPath = path.join(stateDir, "coderclaw.json");
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, NODE_ENV: "test", TZ: "UTC" };
  return {
    home,
    stateDir,
    configPath,
    env,
    writeConfig(config) {
      // As the gateway itself creates them: private to the owner (doctor warns otherwise).
      fs.mkdirSync(path.dirname(configPath), { recursive: true, mode: 0o700 });
      fs.writeFileSync(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
    },
    cleanup() {
      // A gateway a test killed outright leaves its instance lock behind (the next start would reclaim it):
      // take the locks of every profile's config in this home too.
      const entries = fs.existsSync(home) ? fs.readdirSync(home, { withFileTypes: true }) : [];
      for (const entry of entries) {
        if (entry.isDirectory() && entry.name.startsWith(".coderclaw")) {
          const configPath = path.join(home, entry.name, "coderclaw.json");
          fs.rmSync(lockPathFor(configPath), { force: true });
          fs.rmSync(runtimeRecordPathFor(configPath), { force: true });
        }
      }
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();

/** Runs the real CLI to completion (with a hard timeout). */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 15_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`coderclaw ${args.join(" ")} did not finish in ${timeoutMs}ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface GatewayProcess {
  child: ChildProcess;
  port: number;
  url: string;
  output(): { stdout: string; stderr: string };
  /** Resolves when the process exits (whatever ended it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it exited. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `coderclaw gateway` and waits for its `listening on ws[s]://127.0.0.1:<port>` (or `0.0.0.0`) line. */
export function startGateway(
  env: NodeJS.ProcessEnv,
  args: string[] = ["gateway", "--port", "0"],
  readyTimeoutMs = 10_000,
): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const stop = async (graceMs = 6_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    }
    return exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`gateway did not start in ${readyTimeoutMs}ms\nstdout:\n${stdout}\nstderr:\n${stderr}`),
      );
    }, readyTimeoutMs);
    const onData = () => {
      const match = /listening on (wss?):\/\/(?:127\.0\.0\.1|0\.0\.0\.0):(\d+)/.exec(stdout);
      if (match && /gateway ready/.test(stdout)) {
        clearTimeout(timer);
        const port = Number(match[2]);
        resolve({
          child,
          port,
          url: `${match[1]}://127.0.0.1:${port}`,
          output: () => ({ stdout, stderr }),
          exited,
          stop,
        });
      }
    };
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      onData();
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        new Error(
          `gateway exited early (code ${code}, signal ${signal})\nstdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      );
    });
  });
}

/** Kills every CLI/gateway process a test started and did not stop (call from afterEach). */
export async function killAll(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
}

export const TEST_TOKEN = "test-token-0123456789abcdef";

/** A valid local-mode config with a known token; `extra` is merged into `gateway`. */
export function localConfig(gatewayExtra: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) {
  return { gateway: { mode: "local", auth: { token: TEST_TOKEN }, ...gatewayExtra }, ...rest };
}
