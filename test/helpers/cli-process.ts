import { spawn, type ChildProcess } from "node:child_process";
import { CLI } from "./gateway-process.js";

export interface SpawnedCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once `pattern` matches the output of `stream` so far. */
  waitFor(pattern: RegExp, stream?: "stdout" | "stderr", timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const spawned = new Set<ChildProcess>();

/** Starts a long-running CLI command (`logs --follow`) whose output a test watches as it comes. */
export function spawnCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { stdin?: "ignore" | "pipe" } = {},
): SpawnedCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    env,
    stdio: [options.stdin ?? "ignore", "pipe", "pipe"],
  });
  spawned.add(child);
  const output = { stdout: "", stderr: "" };
  child.stdout?.on("data", (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => {
      spawned.delete(child);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    stdout: () => output.stdout,
    stderr: () => output.stderr,
    exited,
    async waitFor(pattern, stream = "stdout", timeoutMs = 8_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(output[stream])) {
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(
            `coderclaw ${args.join(" ")}: no ${pattern} on ${stream}\nstdout:\n${output.stdout}\nstderr:\n${output.stderr}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
}

/** Kills whatever spawnCli started and is still running (call from afterEach/afterAll). */
export async function killSpawned(): Promise<void> {
  await Promise.all(
    [...spawned].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
}
