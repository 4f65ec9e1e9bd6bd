import fs from "node:fs";
import path from "node:path";
import Transport from "winston-transport";
import { jsonLine } from "./log-record.js";

export interface LogFileTransportOptions {
  file: string;
  level: string;
  /** A file that would grow past this is rotated first (a single longer line still goes in whole). */
  maxFileBytes: number;
  /** Files kept in all: the current one and `maxFiles - 1` rotated ones. */
  maxFiles: number;
}

/** At most one complaint per minute about a log file that cannot be written. */
const WRITE_FAILURE_QUIET_MS = 60_000;

/**
 * The JSON-lines log file. Lines logged in one turn of the event loop go to the file in one write
 * after it, so a burst (a join storm logs two lines per connection) costs one system call rather than
 * a stream pipeline per line. Rotation is by size and tailable, as upstream's: `gateway.log` is always
 * the newest, older ones are `gateway1.log` … `gateway{maxFiles-1}.log`. Every file it creates is 0600.
 */
export class LogFileTransport extends Transport {
  private readonly file: string;
  private readonly maxFileBytes: number;
  private readonly maxFiles: number;
  private fd: number | null = null;
  private size = 0;
  private pending: string[] = [];
  private flushScheduled = false;
  private lastWriteFailure = 0;
  /** A process that exits (even by `process.exit`) still gets the lines of its last turn. */
  private readonly flushOnExit = (): void => this.flush();

  constructor(options: LogFileTransportOptions) {
    super({ level: options.level });
    this.file = options.file;
    this.maxFileBytes = options.maxFileBytes;
    this.maxFiles = options.maxFiles;
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    this.openFile();
    process.on("exit", this.flushOnExit);
  }

  override log(info: Record<string | symbol, unknown>, callback: () => void): void {
    this.pending.push(jsonLine(info));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    callback();
  }

  /** Writes what is pending now, rotating on the way when a line would take the file past its size. */
  flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    let chunk = "";
    let chunkBytes = 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      if (this.size + chunkBytes + bytes > this.maxFileBytes && this.size + chunkBytes > 0) {
        this.writeChunk(chunk);
        chunk = "";
        chunkBytes = 0;
        this.rotate();
      }
      chunk += line;
      chunkBytes += bytes;
    }
    this.writeChunk(chunk);
  }

  /** Flushes and closes the file (winston calls this when the transport is removed). */
  override close(): void {
    this.flush();
    process.off("exit", this.flushOnExit);
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.close();
    callback();
  }

  private openFile(): void {
    this.fd = fs.openSync(this.file, "a", 0o600);
    this.size = fs.fstatSync(this.fd).size;
    if (this.size >= this.maxFileBytes) this.rotate();
  }

  private writeChunk(chunk: string): void {
    if (chunk === "" || this.fd === null) return;
    try {
      this.size += fs.writeSync(this.fd, chunk);
    } catch (err) {
      this.complain(err);
    }
  }

  /** gateway{n-1}.log → gateway{n}.log down to gateway.log → gateway1.log, then a new gateway.log. */
  private rotate(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    const ext = path.extname(this.file);
    const base = this.file.slice(0, this.file.length - ext.length);
    const numbered = (n: number) => (n === 0 ? this.file : `${base}${n}${ext}`);
    try {
      for (let n = this.maxFiles - 1; n >= 1; n--) {
        if (fs.existsSync(numbered(n - 1))) fs.renameSync(numbered(n - 1), numbered(n));
      }
      if (this.maxFiles <= 1) fs.truncateSync(this.file, 0);
    } catch (err) {
      this.complain(err);
    }
    try {
      this.fd = fs.openSync(this.file, "a", 0o600);
      this.size = fs.fstatSync(this.fd).size;
    } catch (err) {
      this.complain(err);
    }
  }

  /** A full disk or a removed directory must not take the gateway down: say so on stderr, now and then. */
  private complain(err: unknown): void {
    const now = Date.now();
    if (now - this.lastWriteFailure < WRITE_FAILURE_QUIET_MS) return;
    this.lastWriteFailure = now;
    process.stderr.write(`log file ${this.file} cannot be written: ${String(err)}\n`);
  }
}
