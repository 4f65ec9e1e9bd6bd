import path from "node:path";
import { packageInfo } from "../config/package-info.js";

export interface ProgramArgumentsOptions {
  port: number;
  /** The Node binary; defaults to the one running this CLI. */
  execPath?: string;
  /** The CLI entry; defaults to this package's `bin/run.js`. */
  cliEntry?: string;
}

/** Absolute path of `bin/run.js`, which runs the compiled `dist/` (never the TypeScript sources). */
export function cliEntryPath(): string {
  return path.join(packageInfo().root, "bin", "run.js");
}

/** `node <abs bin/run.js> gateway --port <port>` (REFERENCE §4.2). */
export function gatewayProgramArguments(options: ProgramArgumentsOptions): string[] {
  const execPath = options.execPath ?? process.execPath;
  const entry = path.resolve(options.cliEntry ?? cliEntryPath());
  return [execPath, entry, "gateway", "--port", String(options.port)];
}

/** The `--port` value in a service's arguments (`--port N` or `--port=N`), if any. */
export function portFromProgramArguments(args: readonly string[]): number | undefined {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] as string;
    const value = arg === "--port" ? args[index + 1] : arg.startsWith("--port=") ? arg.slice(7) : undefined;
    if (value === undefined) continue;
    const port = Number(value);
    if (Number.isInteger(port) && port > 0 && port <= 65535) return port;
  }
  return undefined;
}

/** Whether the arguments run the gateway (a `gateway` word after the executable). */
export function runsGatewayCommand(args: readonly string[]): boolean {
  return args.slice(1).includes("gateway");
}
