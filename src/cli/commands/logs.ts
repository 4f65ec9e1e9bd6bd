import { Flags } from "@oclif/core";
import { resolveCliTarget, type CliTarget } from "../../client/cli-target.js";
import { GatewayUnreachableError } from "../../client/gateway-errors.js";
import { followLogs } from "../../client/log-follow.js";
import type { LogTail } from "../../log/log-file-tail.js";
import { readConfigSnapshot } from "../../config/load.js";
import { resolveConfigPath, resolveStateDir } from "../../config/paths.js";
import { resolveLogFile } from "../../host/launch.js";
import { connectCli } from "../../client/one-shot.js";
import { cliCommand } from "../../config/paths.js";
import { formatLogLine, parseLogLine, type LogLineStyle } from "../log-line.js";
import { OperatorCommand } from "../operator-command.js";
import { showProgress } from "../progress.js";
import { rpcFlags } from "../rpc-flags.js";
import { MAX_DURATION_MS } from "../../protocol/duration.js";
import { redactUrl } from "../../config/redact.js";

const UNREACHABLE = "Gateway not reachable. Is it running and accessible?";
const TRUNCATED = "Log tail truncated (increase --max-bytes).";
const ROTATED = "Log cursor reset (file rotated).";

/** The log file of the gateway this machine's config describes; null when that gateway is remote. */
function localLogFile(): string | null {
  const config = readConfigSnapshot(resolveConfigPath()).config;
  if (config.gateway.mode === "remote") return null;
  return resolveLogFile(config, resolveStateDir());
}

export default class Logs extends OperatorCommand {
  static override summary =
    "Tail the gateway log over RPC (logs.tail), or its file when the gateway is down; --follow keeps going.";
  static override flags = {
    ...rpcFlags(30_000),
    follow: Flags.boolean({
      char: "f",
      description: "Keep polling for new lines, through gateway restarts and stops (Ctrl-C stops).",
    }),
    limit: Flags.integer({ description: "Most lines per poll.", default: 200, min: 1 }),
    "max-bytes": Flags.integer({ description: "Most bytes per poll.", default: 250_000, min: 1 }),
    interval: Flags.integer({
      description: "Milliseconds between polls with --follow.",
      default: 1_000,
      min: 1,
      max: MAX_DURATION_MS,
    }),
    json: Flags.boolean({ description: "JSON lines: meta, log, raw, notice (errors on stderr)." }),
    plain: Flags.boolean({
      description: "ISO timestamps, no colors (the default when stdout is not a TTY).",
    }),
    color: Flags.boolean({ description: "Colorize pretty output.", default: true, allowNo: true }),
    "local-time": Flags.boolean({ description: "Show times in the local time zone instead of UTC." }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Logs);
    this.applyProfile(flags.profile);
    const timeout = this.timeoutMs(flags.timeout);
    this.requireUrlCredentials(flags);
    const target = resolveCliTarget(flags);
    const pretty = !flags.json && !flags.plain && Boolean(process.stdout.isTTY);
    const style: LogLineStyle = {
      mode: pretty ? "pretty" : "plain",
      color: pretty && flags.color && process.env.NO_COLOR === undefined,
      localTime: flags["local-time"],
    };

    const stop = new AbortController();
    const onStop = () => stop.abort();
    let outputError: string | null = null;
    // A reader that went away (`| head`) ends the tail; any other write failure ends it the same way.
    const onStdoutError = (error: NodeJS.ErrnoException) => {
      outputError ??= error.code ?? "error";
      onStop();
    };
    process.once("SIGINT", onStop);
    process.once("SIGTERM", onStop);
    process.stdout.on("error", onStdoutError);
    let failure: unknown = null;
    let shownFile: string | null = null;
    let attempt = 0;
    try {
      await followLogs(
        {
          connect: async () => {
            // Only the first attempt shows progress; reconnects are announced by one notice each.
            const progress = showProgress(
              `Connecting to ${redactUrl(target.url)}…`,
              attempt++ === 0 && flags.follow && !flags.json,
            );
            try {
              return (await connectCli({ ...flags, timeout })).client;
            } finally {
              progress.done();
            }
          },
          localFile: flags.url ? null : localLogFile(),
          target: redactUrl(target.url),
          follow: flags.follow,
          limit: flags.limit,
          maxBytes: flags["max-bytes"],
          intervalMs: flags.interval,
          timeoutMs: timeout,
          signal: stop.signal,
        },
        {
          page: (page) => {
            if (outputError !== null) return;
            this.renderPage(page, page.file !== shownFile, flags.json, style);
            shownFile = page.file;
          },
          notice: (line) => (flags.json ? this.emit({ type: "notice", message: line }) : this.errLine(line)),
        },
      );
    } catch (error) {
      if (!stop.signal.aborted) failure = error;
    } finally {
      process.off("SIGINT", onStop);
      process.off("SIGTERM", onStop);
    }
    if (outputError !== null) {
      this.errLine(`coderclaw logs: output stdout closed (${outputError}). Stopping tail.`);
      return;
    }
    if (failure !== null) this.unreachable(failure, target, flags.json);
  }

  private renderPage(page: LogTail, first: boolean, json: boolean, style: LogLineStyle): void {
    const notices = [...(page.truncated ? [TRUNCATED] : []), ...(page.reset ? [ROTATED] : [])];
    if (json) {
      if (first) this.emit({ type: "meta", file: page.file, cursor: page.cursor, size: page.size });
      notices.forEach((message) => this.emit({ type: "notice", message }));
      for (const raw of page.lines) {
        const parsed = parseLogLine(raw);
        this.emit(parsed ? { type: "log", ...parsed } : { type: "raw", raw });
      }
      return;
    }
    if (first) this.line(`Log file: ${page.file}`);
    notices.forEach((notice) => this.errLine(notice));
    for (const raw of page.lines) {
      const parsed = parseLogLine(raw);
      this.line(parsed ? formatLogLine(parsed, style) : raw);
    }
  }

  private emit(record: Record<string, unknown>): void {
    this.line(JSON.stringify(record));
  }

  private unreachable(error: unknown, target: CliTarget, json: boolean): never {
    const cause = String((error as Error)?.message ?? error).split("\n")[0] ?? "";
    const hint =
      error instanceof GatewayUnreachableError
        ? `start one with \`${cliCommand("gateway")}\`, or find where one runs with \`${cliCommand("gateway status")}\`.`
        : `run \`${cliCommand("doctor")}\`.`;
    if (json) {
      const details = {
        url: target.url,
        urlSource: target.urlSource,
        configPath: target.configPath,
        bind: target.bind,
      };
      this.fail(JSON.stringify({ type: "error", message: UNREACHABLE, error: cause, details, hint }));
    }
    this.fail([UNREACHABLE, cause, ...target.describe().split("\n"), `Hint: ${hint}`]);
  }
}
