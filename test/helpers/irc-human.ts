/**
 * The person on the other end of the IRC channel in tests: a raw-socket IRC client that registers,
 * joins, sends PRIVMSGs and records every PRIVMSG it receives as the exact line the server relayed.
 */
import net from "node:net";

export interface ReceivedLine {
  raw: string;
  /** Bytes of the line as relayed, CR LF included. */
  bytes: number;
  from: string;
  target: string;
  text: string;
  at: number;
}

export class IrcHuman {
  readonly received: ReceivedLine[] = [];
  private buffer = "";
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly socket: net.Socket,
    readonly nick: string,
  ) {
    socket.on("data", (data) => this.onData(data));
    socket.on("error", () => undefined);
  }

  static async connect(port: number, nick: string): Promise<IrcHuman> {
    const socket = net.connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const human = new IrcHuman(socket, nick);
    human.write(`NICK ${nick}`);
    human.write(`USER ${nick} 0 * :Test Human`);
    await human.waitForRaw((line) => / 001 /.test(line));
    return human;
  }

  private readonly rawLines: string[] = [];

  private onData(data: Buffer): void {
    this.buffer += data.toString("utf8");
    let end: number;
    while ((end = this.buffer.indexOf("\r\n")) >= 0) {
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.rawLines.push(line);
      if (line.startsWith("PING")) this.write(`PONG${line.slice(4)}`);
      const match = /^:([^!\s]+)!\S+ PRIVMSG (\S+) :(.*)$/.exec(line);
      if (match) {
        this.received.push({
          raw: line,
          bytes: Buffer.byteLength(line) + 2,
          from: match[1]!,
          target: match[2]!,
          text: match[3]!,
          at: Date.now(),
        });
      }
      for (const waiter of this.waiters.splice(0)) waiter();
    }
  }

  write(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  say(target: string, text: string): void {
    this.write(`PRIVMSG ${target} :${text}`);
  }

  async join(channel: string): Promise<void> {
    this.write(`JOIN ${channel}`);
    await this.waitForRaw((line) => new RegExp(` 366 ${this.nick} ${channel} `, "i").test(line));
  }

  private async waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  waitForRaw(matches: (line: string) => boolean, timeoutMs = 5_000): Promise<void> {
    return this.waitFor(() => this.rawLines.some(matches), timeoutMs, "a server line");
  }

  /** Waits until `count` PRIVMSGs from `from` have arrived since index `since`; returns them. */
  async messagesFrom(from: string, count: number, since = 0, timeoutMs = 10_000): Promise<ReceivedLine[]> {
    const matching = () =>
      this.received.slice(since).filter((line) => line.from.toLowerCase() === from.toLowerCase());
    await this.waitFor(() => matching().length >= count, timeoutMs, `${count} message(s) from ${from}`);
    return matching();
  }

  close(): void {
    this.socket.destroy();
  }
}
