import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { runCli, type CliResult } from "./gateway-process.js";

/** A loopback port nothing listens on right now (so no test ever probes a real gateway on 18789). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface DoctorRun extends CliResult {
  lines: string[];
}

/**
 * `coderclaw doctor ...`; every run must end with `Doctor complete.`, and exit 1 exactly when it says a ✗
 * problem remains (`Unresolved: …` in text, `ok: false` in JSON), else 0.
 */
export async function runDoctorCli(args: string[], env: NodeJS.ProcessEnv): Promise<DoctorRun> {
  const result = await runCli(["doctor", ...args], env, 20_000);
  const lines = result.stdout.trimEnd().split("\n");
  const json = args.includes("--json");
  const closing = json ? result.stderr.trimEnd().split("\n") : lines;
  const unresolved = json
    ? (JSON.parse(result.stdout) as { ok: boolean }).ok === false
    : lines.some((line) => line.startsWith("Unresolved: "));
  if (closing[closing.length - 1] !== "Doctor complete." || result.code !== (unresolved ? 1 : 0)) {
    throw new Error(
      `doctor ${args.join(" ")}: exit ${result.code}, last line ${JSON.stringify(closing.at(-1))}\n` +
        `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  }
  return { ...result, lines };
}

/**
 * `systemctl` and `loginctl` stand-ins first on PATH: the real ones would talk to this machine's
 * service manager. systemctl answers like a host without a systemd user session; loginctl reports
 * the given Linger value.
 */
export function fakeSystemTools(home: string, linger: "yes" | "no" = "no"): string {
  const bin = path.join(home, "fake-bin");
  fs.mkdirSync(bin, { recursive: true });
  const script = (body: string) => `#!/bin/sh\n${body}\n`;
  fs.writeFileSync(
    path.join(bin, "systemctl"),
    script('echo "Failed to connect to bus: No medium found" >&2\nexit 1'),
    {
      mode: 0o755,
    },
  );
  fs.writeFileSync(path.join(bin, "loginctl"), script(`echo "Linger=${linger}"`), { mode: 0o755 });
  return `${bin}${path.delimiter}${process.env.PATH ?? ""}`;
}

export function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2));
}

export interface ForeignListener {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

/** A plain node TCP server (not a gateway) holding a loopback port. */
export async function holdPort(): Promise<ForeignListener> {
  const script =
    "const s = require('net').createServer(); s.listen(0, '127.0.0.1', () => console.log(s.address().port));";
  const child: ChildProcess = spawn(process.execPath, ["-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n")) resolve(Number(out.trim()));
    });
    child.once("exit", (code) => reject(new Error(`listener exited early (${code})`)));
  });
  return {
    pid: child.pid as number,
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
