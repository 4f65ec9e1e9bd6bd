import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { createCommandProvider } from "../src/agents/providers/command.js";
import { createEchoProvider } from "../src/agents/providers/echo.js";
import { ProviderError, RunAbortedError } from "../src/agents/providers/provider.js";
import { makeProviderRun, settleAllProviderRuns } from "./helpers/provider-run.js";

const NODE = process.execPath;
let tmp: string;
const startedPids: number[] = [];

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  // A zombie is dead, merely unreaped: this sandbox's PID 1 never reaps orphans.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return /^[ZX]$/.test(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3));
  } catch {
    return true;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-providers-"));
});

afterEach(async () => {
  await settleAllProviderRuns();
  for (const pid of startedPids.splice(0)) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, "SIGKILL");
      } catch {
        // Already gone: the provider cleaned up.
      }
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("echo provider", () => {
  it("streams the message back word by word, and the deltas concatenate to it exactly", async () => {
    const message = "  Hello,   wide\nworld!\t ";
    const run = makeProviderRun({ message });
    const result = await run.start(createEchoProvider("echo", { delayMs: 0 }));
    expect(run.deltas).toEqual(["  Hello,   ", "wide\n", "world!\t "]);
    expect(run.deltas.join("")).toBe(message);
    expect(result.text).toBe(message);
  });

  it("with delayMs 0 emits every word synchronously, without timers", () => {
    const run = makeProviderRun({ message: "one two three" });
    const pending = run.start(createEchoProvider("echo", { delayMs: 0 }));
    expect(run.deltas).toEqual(["one ", "two ", "three"]);
    return pending;
  });

  it("waits about delayMs between words", async () => {
    const run = makeProviderRun({ message: "a b c d e" });
    const started = Date.now();
    await run.start(createEchoProvider("echo", { delayMs: 40 }));
    expect(run.deltas).toHaveLength(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4 * 40 * 0.75);
  });

  it("stops streaming and rejects RunAbortedError when aborted mid-stream", async () => {
    const run = makeProviderRun({
      message: "one two three four five six seven eight",
      onDelta: () => {
        if (run.deltas.length === 2) run.abort();
      },
    });
    const error = await rejection(run.start(createEchoProvider("echo", { delayMs: 20 })));
    expect(error).toBeInstanceOf(RunAbortedError);
    // A fixed window on purpose: no delta may follow the abort (five would stream in 100 ms).
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(run.deltas).toEqual(["one ", "two "]);
  });

  it("rejects at once when the signal is already aborted", async () => {
    const run = makeProviderRun({ message: "never sent" });
    run.abort();
    await expect(run.start(createEchoProvider("echo", {}))).rejects.toBeInstanceOf(RunAbortedError);
    expect(run.deltas).toEqual([]);
  });

  it("lists itself as its only model", () => {
    expect(createEchoProvider("echo", {}).models()).toEqual([{ id: "echo", provider: "echo", name: "echo" }]);
  });
});

describe("command provider", () => {
  const answerFromStdin = `
    let input = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk) => (input += chunk));
    process.stdin.on("end", () => {
      process.stdout.write("You said: ");
      setTimeout(() => process.stdout.write(input), 40);
      setTimeout(() => process.stdout.write(" (done)"), 80);
    });`;

  it("sends the message on stdin and streams stdout back as deltas", async () => {
    const provider = createCommandProvider("cli", { command: [NODE, "-e", answerFromStdin] });
    const run = makeProviderRun({ message: "hello there", workspace: tmp });
    const result = await run.start(provider);
    expect(result.text).toBe("You said: hello there (done)");
    expect(run.deltas.length).toBeGreaterThanOrEqual(2);
    expect(run.deltas.join("")).toBe(result.text);
  });

  it('passes the message as the last argument with input: "argument"', async () => {
    const provider = createCommandProvider("cli", {
      command: [NODE, "-e", "process.stdout.write('arg: ' + process.argv.at(-1))", "--"],
      input: "argument",
    });
    const run = makeProviderRun({ message: "fix the bug", workspace: tmp });
    await expect(run.start(provider)).resolves.toEqual({ text: "arg: fix the bug" });
  });

  it("decodes UTF-8 split across stdout chunks without mangling characters", async () => {
    const script = `
      const bytes = Buffer.from("héllo wörld 🎉");
      process.stdout.write(bytes.subarray(0, 2));
      setTimeout(() => process.stdout.write(bytes.subarray(2, 15)), 30);
      setTimeout(() => process.stdout.write(bytes.subarray(15)), 60);`;
    const run = makeProviderRun({ workspace: tmp });
    const result = await run.start(createCommandProvider("cli", { command: [NODE, "-e", script] }));
    expect(result.text).toBe("héllo wörld 🎉");
    expect(run.deltas.join("")).toBe("héllo wörld 🎉");
    expect(run.deltas.some((delta) => delta.includes("\uFFFD"))).toBe(false);
  });

  it("runs in the agent's workspace (creating it) with process.env plus config.env", async () => {
    const workspace = path.join(tmp, "agents", "main", "workspace");
    const provider = createCommandProvider("cli", {
      command: [NODE, "-e", "process.stdout.write(process.cwd() + '|' + process.env.CODERCLAW_TEST_VALUE)"],
      env: { CODERCLAW_TEST_VALUE: "42" },
    });
    const result = await makeProviderRun({ workspace }).start(provider);
    expect(result.text).toBe(`${fs.realpathSync(workspace)}|42`);
  });

  it("logs stderr line by line at debug level", async () => {
    const script =
      "process.stderr.write('first warning\\nsecond'); setTimeout(() => process.stderr.write(' warning\\n'), 30)";
    const run = makeProviderRun({ workspace: tmp });
    await run.start(createCommandProvider("cli", { command: [NODE, "-e", script] }));
    const stderrLines = run.logs.filter((entry) => entry.meta?.stream === "stderr");
    expect(stderrLines.map((entry) => [entry.level, entry.message])).toEqual([
      ["debug", "first warning"],
      ["debug", "second warning"],
    ]);
  });

  it("fails with PROVIDER_FAILED and the last 20 stderr lines on a non-zero exit", async () => {
    const script = "for (let i = 1; i <= 30; i++) console.error('problem ' + i); process.exitCode = 3;";
    const run = makeProviderRun({ workspace: tmp });
    const error = await rejection(run.start(createCommandProvider("cli", { command: [NODE, "-e", script] })));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe("PROVIDER_FAILED");
    expect(error.message).toMatch(/^command exited with code 3: problem 11\n/);
    expect(error.message).toMatch(/\nproblem 30$/);
    expect(error.message.split("\n")).toHaveLength(20);
  });

  it("fails with PROVIDER_NOT_FOUND when the executable does not exist", async () => {
    const provider = createCommandProvider("cli", { command: ["coderclaw-no-such-command", "--flag"] });
    const error = await rejection(makeProviderRun({ workspace: tmp }).start(provider));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe("PROVIDER_NOT_FOUND");
    expect(error.message).toBe("command not found: coderclaw-no-such-command");
  });

  it("kills the whole process group on abort, grandchildren included, within the grace period", async () => {
    const script = `
      const { spawn } = require("node:child_process");
      const grandchild = spawn(process.execPath, ["-e", "setInterval(() => {}, 1e6)"], { stdio: "inherit" });
      process.stdout.write(JSON.stringify({ child: process.pid, grandchild: grandchild.pid }) + "\\n");
      setInterval(() => {}, 1e6);`;
    const graceMs = 2_000;
    let pids: { child: number; grandchild: number } | undefined;
    let output = "";
    const run = makeProviderRun({
      workspace: tmp,
      onDelta: (text) => {
        output += text;
        if (!output.endsWith("\n") || pids) return;
        pids = JSON.parse(output) as { child: number; grandchild: number };
        startedPids.push(pids.child, pids.grandchild);
        run.abort();
      },
    });
    const started = Date.now();
    const error = await rejection(
      run.start(createCommandProvider("cli", { command: [NODE, "-e", script], graceMs })),
    );
    expect(error).toBeInstanceOf(RunAbortedError);
    expect(Date.now() - started).toBeLessThan(graceMs);
    expect(pids).toBeDefined();
    const { child, grandchild } = pids as { child: number; grandchild: number };
    expect(await waitUntil(() => isGone(child) && isGone(grandchild), graceMs)).toBe(true);
  });

  it("SIGKILLs a command that ignores SIGTERM once graceMs has passed", async () => {
    const script = `
      process.on("SIGTERM", () => {});
      process.stdout.write(process.pid + "\\n");
      setInterval(() => {}, 1e6);`;
    let pid = 0;
    let output = "";
    const run = makeProviderRun({
      workspace: tmp,
      onDelta: (text) => {
        output += text;
        if (!output.endsWith("\n") || pid) return;
        pid = Number(output);
        startedPids.push(pid);
        run.abort();
      },
    });
    const started = Date.now();
    const error = await rejection(
      run.start(createCommandProvider("cli", { command: [NODE, "-e", script], graceMs: 300 })),
    );
    expect(error).toBeInstanceOf(RunAbortedError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(await waitUntil(() => isGone(pid), 300)).toBe(true);
    expect(run.logs.some((entry) => entry.message.includes("sending SIGKILL"))).toBe(true);
  });

  it("leaves no process behind when the command exits but its background child keeps running", async () => {
    const script = `
      const { spawn } = require("node:child_process");
      const leftover = spawn(process.execPath, ["-e", "setInterval(() => {}, 1e6)"], { stdio: "ignore" });
      leftover.unref();
      process.stdout.write(String(leftover.pid));`;
    const run = makeProviderRun({ workspace: tmp });
    const result = await run.start(createCommandProvider("cli", { command: [NODE, "-e", script] }));
    const leftover = Number(result.text);
    startedPids.push(leftover);
    expect(await waitUntil(() => isGone(leftover), 500)).toBe(true);
  });

  it("lists one model named after the executable", () => {
    const provider = createCommandProvider("claude", { command: ["claude", "-p"] });
    expect(provider.models()).toEqual([{ id: "claude", provider: "claude", name: "claude" }]);
  });
});
