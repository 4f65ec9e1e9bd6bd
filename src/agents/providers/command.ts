import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { ProviderConfig } from "../../config/providers.js";
import type { SubsystemLogger } from "../../log/logger.js";
import {
  ProviderError,
  RunAbortedError,
  type Provider,
  type ProviderRequest,
  type ProviderResult,
} from "./provider.js";

export type CommandProviderConfig = Omit<Extract<ProviderConfig, { type: "command" }>, "type">;

const DEFAULT_GRACE_MS = 2_000;
const STDERR_TAIL_LINES = 20;
const GROUP_POLL_MS = 20;
/** How long to wait after SIGKILL before giving up on a group (e.g. stuck in uninterruptible IO). */
const AFTER_KILL_WAIT_MS = 1_000;
/** How long stdio may stay open once the group is gone (a process that left the group may hold it). */
const STDIO_CLOSE_WAIT_MS = 500;

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Non-zombie members of process group `pgid`, read from /proc; null where /proc is unavailable. */
async function liveGroupMembers(pgid: number): Promise<number | null> {
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return null;
  }
  const states = await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry))
      .map((pid) => readFile(`/proc/${pid}/stat`, "utf8").catch(() => "")),
  );
  return states.filter((stat) => {
    // Fields after "(comm)": state, ppid, pgrp, … — comm itself may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[2] === String(pgid) && fields[0] !== "Z" && fields[0] !== "X";
  }).length;
}

/** Whether any process of group `pgid` still runs (zombies an init never reaps do not count). */
async function groupAlive(pgid: number): Promise<boolean> {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return errnoCode(error) !== "ESRCH";
  }
  const live = await liveGroupMembers(pgid);
  return live === null || live > 0;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if (errnoCode(error) !== "ESRCH") throw error;
  }
}

async function waitForGroupExit(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await groupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await sleep(GROUP_POLL_MS);
  }
  return true;
}

/** SIGTERM to the whole group, SIGKILL after `graceMs` if anything is left; resolves once it is gone. */
async function terminateGroup(pgid: number, graceMs: number, log: SubsystemLogger): Promise<void> {
  if (!(await groupAlive(pgid))) return;
  signalGroup(pgid, "SIGTERM");
  if (await waitForGroupExit(pgid, graceMs)) return;
  log.debug(`process group ${pgid} still alive ${graceMs}ms after SIGTERM; sending SIGKILL`);
  signalGroup(pgid, "SIGKILL");
  if (!(await waitForGroupExit(pgid, AFTER_KILL_WAIT_MS))) {
    log.warn(`process group ${pgid} did not exit after SIGKILL`);
  }
}

/** Splits a text stream into lines, keeping the last `limit` of them. */
class LineTail {
  private partial = "";
  readonly lines: string[] = [];

  constructor(
    private readonly limit: number,
    private readonly onLine: (line: string) => void,
  ) {}

  push(text: string): void {
    const parts = (this.partial + text).split(/\r?\n/);
    this.partial = parts.pop() ?? "";
    for (const line of parts) this.add(line);
  }

  end(): void {
    if (this.partial !== "") this.add(this.partial);
    this.partial = "";
  }

  private add(line: string): void {
    this.onLine(line);
    this.lines.push(line);
    if (this.lines.length > this.limit) this.lines.shift();
  }
}

function spawnFailure(argv0: string, error: Error): ProviderError {
  if (errnoCode(error) === "ENOENT") {
    return new ProviderError("PROVIDER_NOT_FOUND", `command not found: ${argv0}`);
  }
  return new ProviderError("PROVIDER_FAILED", `cannot run command ${argv0}: ${error.message}`);
}

function exitFailure(
  code: number | null,
  signal: NodeJS.Signals | null,
  stderrTail: string[],
): ProviderError {
  const reason =
    code !== null ? `command exited with code ${code}` : `command killed by ${signal ?? "a signal"}`;
  const tail = stderrTail.join("\n").trim();
  return new ProviderError("PROVIDER_FAILED", tail === "" ? reason : `${reason}: ${tail}`);
}

/** Where the agent's own gateway listens, so tools it runs can call back into it. */
function gatewayEnv(request: ProviderRequest): Record<string, string> {
  return request.gatewayPort === undefined ? {} : { CODERCLAW_GATEWAY_PORT: String(request.gatewayPort) };
}

function runCommand(
  id: string,
  config: CommandProviderConfig,
  argv0: string,
  request: ProviderRequest,
): Promise<ProviderResult> {
  const viaArgument = config.input === "argument";
  const args = [...config.command.slice(1), ...(viaArgument ? [request.message] : [])];
  const graceMs = config.graceMs ?? DEFAULT_GRACE_MS;
  const log = request.log;

  return new Promise((resolve, reject) => {
    let child: ChildProcessWithoutNullStreams;
    try {
      // detached: the child leads a new process group, so abort can kill everything it started.
      child = spawn(argv0, args, {
        cwd: request.workspace,
        env: { ...process.env, ...gatewayEnv(request), ...config.env },
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
      });
    } catch (error) {
      // Synchronous refusals, e.g. a NUL byte in a message passed as an argument.
      reject(spawnFailure(argv0, error as Error));
      return;
    }
    const pgid = child.pid;
    let text = "";
    let aborted = false;
    let spawnError: Error | undefined;
    let groupGone: Promise<void> = Promise.resolve();
    let groupTermination: Promise<void> | undefined;
    let stdioTimer: NodeJS.Timeout | undefined;
    const stderr = new LineTail(STDERR_TAIL_LINES, (line) =>
      log.debug(line, { provider: id, stream: "stderr" }),
    );

    // Idempotent: the abort and the leader's exit (sweeping leftovers) may both ask for it.
    const stopGroup = (): Promise<void> => {
      if (pgid === undefined) return Promise.resolve();
      groupTermination ??= terminateGroup(pgid, graceMs, log).catch((error: unknown) => {
        log.warn(`could not stop process group ${pgid}: ${String(error)}`);
      });
      return groupTermination;
    };
    const onAbort = () => {
      aborted = true;
      void stopGroup();
    };
    request.signal.addEventListener("abort", onAbort, { once: true });
    if (pgid !== undefined) log.debug(`${id}: started ${argv0} (pid ${pgid}) in ${request.workspace}`);

    child.on("error", (error) => {
      spawnError ??= error;
    });
    child.stdin.on("error", (error) => log.debug(`${id}: stdin closed early: ${error.message}`));
    child.stdin.end(viaArgument ? "" : request.message);
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      text += chunk;
      if (!aborted) request.onDelta(chunk);
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => stderr.push(chunk));

    child.once("exit", () => {
      groupGone = stopGroup();
      void groupGone.then(() => {
        // A process that escaped the group may still hold our pipes; don't wait on it forever.
        stdioTimer = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
        }, STDIO_CLOSE_WAIT_MS);
      });
    });

    child.once("close", (code, signal) => {
      void groupGone.then(() => {
        clearTimeout(stdioTimer);
        request.signal.removeEventListener("abort", onAbort);
        stderr.end();
        if (spawnError) reject(spawnFailure(argv0, spawnError));
        else if (aborted) reject(new RunAbortedError());
        else if (code === 0) resolve({ text });
        else reject(exitFailure(code, signal, stderr.lines));
      });
    });
  });
}

/** A local coding CLI as the agent: the message goes in on stdin or as an argument, stdout streams back. */
export function createCommandProvider(id: string, config: CommandProviderConfig): Provider {
  const argv0 = config.command[0];
  if (argv0 === undefined) throw new ProviderError("PROVIDER_FAILED", `providers.${id}.command is empty`);

  const run = async (request: ProviderRequest): Promise<ProviderResult> => {
    if (request.signal.aborted) throw new RunAbortedError();
    await mkdir(request.workspace, { recursive: true });
    if (request.signal.aborted) throw new RunAbortedError();
    return runCommand(id, config, argv0, request);
  };

  return {
    id,
    kind: "command",
    run,
    models: () => [{ id, provider: id, name: argv0 }],
  };
}
