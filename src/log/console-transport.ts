import Transport from "winston-transport";
import { FILE_ONLY, consoleLine } from "./log-record.js";

const TO_STDERR = new Set(["error", "warn"]);

/**
 * Human lines on the console: errors and warnings on stderr, the rest on stdout. Each line is written
 * as it is logged: whoever reads both streams (a service manager's journal, a supervising process
 * waiting for "gateway ready") sees a warning before the lines logged after it.
 */
export class ConsoleTransport extends Transport {
  constructor(level: string) {
    super({ level });
  }

  override log(info: Record<string | symbol, unknown>, callback: () => void): void {
    if (info[FILE_ONLY] !== true) {
      const stream = TO_STDERR.has(String(info.level)) ? process.stderr : process.stdout;
      stream.write(consoleLine(info));
    }
    callback();
  }
}
