import { execFile } from "node:child_process";

export type SystemdScope = "user" | "system";

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The program is not installed (ENOENT). */
  missing: boolean;
}

export type Availability = { available: true } | { available: false; detail: string };

const DEFAULT_TIMEOUT_MS = 10_000;

/** Runs a program without a shell; never rejects (a timeout is exit code null with a message). */
export function runCommand(
  file: string,
  args: readonly string[],
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { timeout: timeoutMs, maxBuffer: 1024 * 1024, env: { ...process.env, SYSTEMD_PAGER: "", LC_ALL: "C" } },
      (error, stdout, stderr) => {
        if (!error) return resolve({ code: 0, stdout, stderr, missing: false });
        const err = error as NodeJS.ErrnoException & { code?: string | number; killed?: boolean };
        if (err.code === "ENOENT") return resolve({ code: null, stdout: "", stderr: "", missing: true });
        const timedOut = err.killed === true;
        resolve({
          code: typeof err.code === "number" ? err.code : null,
          stdout,
          stderr: timedOut ? `${file} timed out after ${timeoutMs}ms` : stderr || err.message,
          missing: false,
        });
      },
    );
  });
}

export function scopeArgs(scope: SystemdScope): string[] {
  return scope === "user" ? ["--user"] : [];
}

/** `systemctl [--user] <args>`, as a user would type it (for hints and messages). */
export function systemctlCommandLine(scope: SystemdScope, args: readonly string[]): string {
  return ["systemctl", ...scopeArgs(scope), ...args].join(" ");
}

export function systemctl(
  scope: SystemdScope,
  args: readonly string[],
  timeoutMs?: number,
): Promise<CommandResult> {
  return runCommand("systemctl", [...scopeArgs(scope), ...args], timeoutMs);
}

export function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .map((line) => line.trim())
      .find(Boolean) ?? ""
  );
}

/**
 * Whether a systemd manager answers for the scope. Containers and CI usually have systemctl
 * installed but no manager running (`Failed to connect to bus`, `System has not been booted with
 * systemd`); `show-environment` fails fast there.
 */
export async function systemdAvailability(scope: SystemdScope): Promise<Availability> {
  const result = await systemctl(scope, ["show-environment"], 5_000);
  if (result.missing) {
    return {
      available: false,
      detail:
        scope === "user"
          ? "systemctl not available; systemd user services are required on Linux."
          : "systemctl not available; systemd is required for system services.",
    };
  }
  if (result.code !== 0) {
    const reason = firstLine(result.stderr) || firstLine(result.stdout) || `exit code ${result.code}`;
    return { available: false, detail: `${systemctlCommandLine(scope, [])} unavailable: ${reason}` };
  }
  return { available: true };
}
