import Transport from "winston-transport";
import { FILE_ONLY, consoleLine } from "./log-record.js";

const TO_STDERR = new Set(["error", "warn"]);

interface Output {
  write(text: string): unknown;
}

/**
 * Human lines on the console: errors and warnings on stderr, the rest on stdout. Info and debug lines
 * logged in one turn of the event loop leave after it, in one write: a join storm logs two lines per
 * connection, and a write to a pipe or to the journal's socket is a system call that wakes the reader.
 * A warning or an error is written at once, after the lines logged before it, so the order across both
 * streams is kept; a process that exits (even by `process.exit`) still writes the lines of its last turn.
 */
export class ConsoleTransport extends Transport {
  private pending: { stream: Output; line: string }[] = [];
  private flushScheduled = false;
  private readonly flushOnExit = (): void => this.flush();

  constructor(
    level: string,
    private readonly stdout: Output = process.stdout,
    private readonly stderr: Output = process.stderr,
  ) {
    super({ level });
    process.on("exit", this.flushOnExit);
  }

  override log(info: Record<string | symbol, unknown>, callback: () => void): void {
    if (info[FILE_ONLY] !== true) {
      const urgent = TO_STDERR.has(String(info.level));
      this.pending.push({ stream: urgent ? this.stderr : this.stdout, line: consoleLine(info) });
      if (urgent) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.flush();
        });
      }
    }
    callback();
  }

  flush(): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    this.pending = [];
    let run = pending[0]!;
    let text = "";
    for (const entry of pending) {
      if (entry.stream !== run.stream) {
        run.stream.write(text);
        text = "";
        run = entry;
      }
      text += entry.line;
    }
    run.stream.write(text);
  }

  override close(): void {
    this.flush();
    process.off("exit", this.flushOnExit);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.close();
    callback();
  }
}
