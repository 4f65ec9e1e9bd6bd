import winston from "winston";
import type { LogLevel } from "../config/schema.js";
import { ConsoleTransport } from "./console-transport.js";
import { LogFileTransport } from "./log-file-transport.js";

export { FILE_ONLY } from "./log-record.js";

export const LOG_LEVELS = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 } as const;

/** `--ws-log`: no frame trace (auto), one line per frame (compact), or frames with payloads (full). */
export type WsLogStyle = "auto" | "compact" | "full";

export interface LoggerOptions {
  /** JSON-lines log file; rotated by size. */
  file: string;
  level: LogLevel;
  /** Lower the console level from info to debug (`--verbose`). */
  verbose: boolean;
  /** How WebSocket traffic is logged (`--ws-log`, `--compact`); "auto" when not given. */
  wsLog?: WsLogStyle;
  /** Human console lines; off for library use and benchmarks. */
  console: boolean;
  maxFileBytes: number;
  maxFiles: number;
  /** Values that must never reach a log line (tokens, passwords). */
  secrets: () => readonly string[];
}

export interface SubsystemLogger {
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
  trace(message: string, meta?: Record<string, unknown>): void;
}

/** Where and how much the file transport writes; an in-process restart may change any of it. */
export interface LogFileSettings {
  file: string;
  level: LogLevel;
  maxFileBytes: number;
  maxFiles: number;
}

export interface GatewayLogger {
  readonly file: string;
  readonly verbose: boolean;
  readonly wsLog: WsLogStyle;
  /** Whether a line at `level` would reach any output now (the file or the console). */
  enabled(level: LogLevel): boolean;
  child(subsystem: string): SubsystemLogger;
  /** Changes the file log level (hot reload of logging.level). */
  setLevel(level: LogLevel): void;
  /**
   * Moves the file transport to new settings (an in-process restart with a changed `logging.*`);
   * lines logged before the call end up in the old file, lines after it in the new one.
   */
  reopen(settings: LogFileSettings): void;
  /** Flushes the file transport; resolves once everything written so far is on disk. */
  close(): Promise<void>;
}

const SECRET_KEYS = /^(token|password|apiKey|authorization)$/i;
const MASK = "***";

/**
 * Secret values and secret-named keys masked in every record. A value is searched for only when the
 * record could hold it, so the common line pays one `includes` per string per secret.
 */
function maskSecrets(secrets: () => readonly string[]) {
  return winston.format((info) => {
    const values = secrets().filter((s) => s.length > 0);
    const scrub = (text: string) =>
      values.reduce((acc, secret) => (acc.includes(secret) ? acc.split(secret).join(MASK) : acc), text);
    for (const key of Object.keys(info)) {
      const value = info[key];
      if (SECRET_KEYS.test(key) && value !== undefined && value !== null) info[key] = MASK;
      else if (typeof value === "string" && values.length > 0) info[key] = scrub(value);
    }
    return info;
  })();
}

function fileTransportFor(settings: LogFileSettings) {
  return new LogFileTransport({
    file: settings.file,
    level: settings.level,
    maxFileBytes: settings.maxFileBytes,
    maxFiles: settings.maxFiles,
  });
}

export function createLogger(options: LoggerOptions): GatewayLogger {
  let fileSettings: LogFileSettings = {
    file: options.file,
    level: options.level,
    maxFileBytes: options.maxFileBytes,
    maxFiles: options.maxFiles,
  };
  let fileTransport = fileTransportFor(fileSettings);
  const transports: winston.transport[] = [fileTransport];
  const consoleLevel: LogLevel = options.verbose ? "debug" : "info";
  if (options.console) {
    transports.push(new ConsoleTransport(consoleLevel));
  }
  const root = winston.createLogger({
    levels: LOG_LEVELS,
    level: "trace",
    // errors() must sit at the logger level, or log.error(err) loses the message.
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      winston.format.timestamp(),
      maskSecrets(options.secrets),
    ),
    transports,
    exitOnError: false,
  });
  const children = new Map<string, SubsystemLogger>();
  const consoleRank = options.console ? LOG_LEVELS[consoleLevel] : -1;
  return {
    get file() {
      return fileSettings.file;
    },
    verbose: options.verbose,
    wsLog: options.wsLog ?? "auto",
    enabled(level) {
      const rank = LOG_LEVELS[level];
      return rank <= consoleRank || rank <= LOG_LEVELS[fileSettings.level];
    },
    child(subsystem) {
      let logger = children.get(subsystem);
      if (!logger) {
        logger = root.child({ subsystem }) as unknown as SubsystemLogger;
        children.set(subsystem, logger);
      }
      return logger;
    },
    setLevel(level) {
      fileSettings = { ...fileSettings, level };
      fileTransport.level = level;
    },
    reopen(settings) {
      const same =
        settings.file === fileSettings.file &&
        settings.maxFileBytes === fileSettings.maxFileBytes &&
        settings.maxFiles === fileSettings.maxFiles;
      if (same) {
        this.setLevel(settings.level);
        return;
      }
      // Throws (and leaves the current file in place) when the new directory cannot be created.
      const next = fileTransportFor(settings);
      const previous = fileTransport;
      root.add(next);
      // Removing a transport closes it (winston-transport's unpipe handler), flushing what it holds.
      root.remove(previous);
      fileTransport = next;
      fileSettings = { ...settings };
    },
    close() {
      return new Promise((resolve) => {
        fileTransport.on("finish", () => resolve());
        root.end();
        setTimeout(resolve, 1000).unref();
      });
    },
  };
}
