import { Flags } from "@oclif/core";
import { resolveCliTarget, type CliTarget } from "../../client/cli-target.js";
import {
  GatewayClosedError,
  GatewayUnreachableError,
  type GatewayClient,
} from "../../client/gateway-client.js";
import { tailLogs, type LogTailPage, type LogTailParams } from "../../client/log-tail.js";
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

export default class Logs extends OperatorCommand {
  static override summary = "Tail the gateway log over RPC (logs.tail); --follow keeps polling.";
  static override flags = {
    ...rpcFlags(30_000),
    follow: Flags.boolean({ char: "f", description: "Keep polling for new lines (Ctrl-C stops)." }),
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
    const dropped = new AbortController();
    let client: GatewayClient | null = null;
    let closedError: GatewayClosedError | null = null;
    let failure: unknown = null;
    const onStop = () => {
      stop.abort();
      void client?.close();
    };
    let outputError: string | null = null;
    // A reader that went away (`| head`) ends the tail; any other write failure ends it the same way.
    const onStdoutError = (error: NodeJS.ErrnoException) => {
      outputError ??= error.code ?? "error";
      onStop();
    };
    process.once("SIGINT", onStop);
    process.once("SIGTERM", onStop);
    process.stdout.on("error", onStdoutError);
    try {
      const progress = showProgress(`Connecting to ${redactUrl(target.url)}…`, flags.follow && !flags.json);
      try {
        ({ client } = await connectCli({ ...flags, timeout }));
      } finally {
        progress.done();
      }
      const connected = client;
      // One connection for the whole tail: if it drops, the next poll reports why.
      connected.on("close", (code, reason) => {
        closedError ??= new GatewayClosedError(code, reason, "");
        dropped.abort();
      });
      const fetchPage = (params: LogTailParams) =>
        closedError
          ? Promise.reject(closedError)
          : connected.request<LogTailPage>("logs.tail", params, { timeoutMs: timeout });
      let first = true;
      for await (const page of tailLogs(fetchPage, {
        limit: flags.limit,
        maxBytes: flags["max-bytes"],
        follow: flags.follow,
        intervalMs: flags.interval,
        signal: stop.signal,
        wake: dropped.signal,
      })) {
        if (outputError !== null) break;
        this.renderPage(page, first, flags.json, style);
        first = false;
      }
    } catch (error) {
      if (!stop.signal.aborted) failure = error;
    } finally {
      process.off("SIGINT", onStop);
      process.off("SIGTERM", onStop);
      await client?.close();
    }
    if (outputError !== null) {
      this.errLine(`coderclaw logs: output stdout closed (${outputError}). Stopping tail.`);
      return;
    }
    if (failure !== null) this.unreachable(failure, target, flags.json);
  }

  private renderPage(page: LogTailPage, first: boolean, json: boolean, style: LogLineStyle): void {
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
