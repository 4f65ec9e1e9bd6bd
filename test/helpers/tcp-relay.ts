import net from "node:net";

/** A text event frame the gateway sent, as parsed by the relay. */
export interface RelayedEvent {
  event?: string;
  seq?: number;
  payload?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

interface Link {
  client: net.Socket;
  upstream: net.Socket;
}

const HEADER_END = Buffer.from("\r\n\r\n");

/**
 * Splits the gateway's side of one TCP connection into what it forwards: the HTTP response head as
 * is, then (after a 101) whole WebSocket frames, so one frame can be left out. Server frames are not
 * masked; the gateway does not compress.
 */
class ServerStream {
  private buffered = Buffer.alloc(0);
  private upgraded: boolean | null = null;

  constructor(
    private readonly forward: (bytes: Buffer) => void,
    private readonly keep: (text: string) => boolean,
    private readonly upgraded101: () => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.upgraded === false) return this.forward(chunk);
    this.buffered = Buffer.concat([this.buffered, chunk]);
    if (this.upgraded === null) {
      const end = this.buffered.indexOf(HEADER_END);
      if (end < 0) return;
      const head = this.buffered.subarray(0, end + HEADER_END.length);
      this.upgraded = head.toString("latin1").startsWith("HTTP/1.1 101");
      this.forward(head);
      if (this.upgraded) this.upgraded101();
      const rest = this.buffered.subarray(head.length);
      this.buffered = Buffer.alloc(0);
      if (!this.upgraded) return this.forward(rest);
      this.buffered = rest;
    }
    for (let frame = this.nextFrame(); frame; frame = this.nextFrame()) {
      const opcode = frame[0]! & 0x0f;
      const text = opcode === 1 ? frame.subarray(frame.length - this.payloadLength(frame)).toString() : "";
      if (opcode !== 1 || this.keep(text)) this.forward(frame);
    }
  }

  private payloadLength(frame: Buffer): number {
    const short = frame[1]! & 0x7f;
    if (short === 126) return frame.readUInt16BE(2);
    if (short === 127) return Number(frame.readBigUInt64BE(2));
    return short;
  }

  private nextFrame(): Buffer | null {
    if (this.buffered.length < 2) return null;
    const short = this.buffered[1]! & 0x7f;
    const headerLength = short === 126 ? 4 : short === 127 ? 10 : 2;
    if (this.buffered.length < headerLength) return null;
    const total = headerLength + this.payloadLength(this.buffered);
    if (this.buffered.length < total) return null;
    const frame = this.buffered.subarray(0, total);
    this.buffered = this.buffered.subarray(total);
    return frame;
  }
}

/**
 * A real TCP relay between a browser and the gateway, for faults the network makes: it can leave out
 * one event frame (a seq gap) or go silent in both directions (a dead link that never closes).
 */
export class TcpRelay {
  private readonly links = new Set<Link>();
  private silent = false;
  private upgrades = 0;
  /** Connections that failed while silent: the browser hears of it only when the route is back. */
  private readonly heldTeardowns = new Set<() => void>();
  private dropRule: {
    matches: (event: RelayedEvent) => boolean;
    dropped: (event: RelayedEvent) => void;
  } | null = null;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  /** Listens on an ephemeral loopback port and relays every connection to `targetPort`. */
  static async start(targetPort: number): Promise<TcpRelay> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const relay = new TcpRelay(server, (server.address() as net.AddressInfo).port);
    server.on("connection", (client) => relay.accept(client, targetPort));
    return relay;
  }

  /** Leaves out the next event frame that `matches`; resolves with it once it was left out. */
  dropNextEvent(matches: (event: RelayedEvent) => boolean): Promise<RelayedEvent> {
    return new Promise((resolve) => {
      this.dropRule = { matches, dropped: resolve };
    });
  }

  /** Stops forwarding (bytes wait in the sockets, closes are not passed on), as a dead route does. */
  goSilent(): void {
    this.silent = true;
    for (const { client, upstream } of this.links) {
      client.pause();
      upstream.pause();
    }
  }

  /** The route is back: everything that waited is delivered. */
  resume(): void {
    this.silent = false;
    for (const { client, upstream } of this.links) {
      client.resume();
      upstream.resume();
    }
    this.heldTeardowns.forEach((teardown) => teardown());
    this.heldTeardowns.clear();
  }

  /** WebSocket upgrades the gateway accepted through the relay: one per (re)connect of a page. */
  get webSocketCount(): number {
    return this.upgrades;
  }

  async close(): Promise<void> {
    this.silent = false;
    for (const { client, upstream } of this.links) {
      client.destroy();
      upstream.destroy();
    }
    this.links.clear();
    this.heldTeardowns.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket, targetPort: number): void {
    const upstream = net.connect(targetPort, "127.0.0.1");
    const link = { client, upstream };
    this.links.add(link);
    if (this.silent) {
      client.pause();
      upstream.pause();
    }
    const fromServer = new ServerStream(
      (bytes) => client.write(bytes),
      (text) => this.keep(text),
      () => (this.upgrades += 1),
    );
    client.on("data", (chunk: Buffer) => upstream.write(chunk));
    upstream.on("data", (chunk: Buffer) => fromServer.push(chunk));
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());
    const teardown = () => {
      if (this.silent) return void this.heldTeardowns.add(teardown);
      this.links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", teardown);
    upstream.on("close", teardown);
    client.on("error", teardown);
    upstream.on("error", teardown);
  }

  private keep(text: string): boolean {
    const rule = this.dropRule;
    if (!rule) return true;
    let frame: RelayedEvent & { type?: string };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      return true;
    }
    if (frame.type !== "event" || !rule.matches(frame)) return true;
    this.dropRule = null;
    rule.dropped(frame);
    return false;
  }
}
