import WebSocket from "ws";

export interface Frame {
  type: string;
  id?: string;
  ok?: boolean;
  payload?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  error?: { code: string; message: string; details?: unknown };
  event?: string;
  seq?: number;
  stateVersion?: { presence: number; health: number };
}

/**
 * A raw protocol peer: real ws client that records every frame and the close, so tests can assert
 * exactly what a client observes.
 */
export class WsPeer {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      try {
        this.frames.push(JSON.parse(data.toString()) as Frame);
      } catch {
        this.frames.push({ type: "non-json" });
      }
      this.notify();
    });
    socket.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.notify();
    });
    socket.on("error", () => {});
  }

  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<WsPeer> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, options);
      const peer = new WsPeer(socket);
      socket.once("open", () => resolve(peer));
      socket.once("error", reject);
    });
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((wake) => wake());
  }

  /** Waits until `predicate` holds over what has been observed. */
  async until<T>(
    predicate: () => T | undefined | null | false,
    timeoutMs = 5_000,
    what = "condition",
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate();
      if (value) return value;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(
          `timed out waiting for ${what}; frames: ${JSON.stringify(this.frames).slice(0, 2000)}; closed: ${JSON.stringify(this.closed)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  challenge(): Promise<Frame> {
    return this.until(
      () => this.frames.find((f) => f.event === "connect.challenge"),
      5_000,
      "connect.challenge",
    );
  }

  response(id: string, timeoutMs = 5_000): Promise<Frame> {
    return this.until(
      () => this.frames.find((f) => f.type === "res" && f.id === id),
      timeoutMs,
      `response ${id}`,
    );
  }

  waitClose(timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
    return this.until(() => this.closed, timeoutMs, "close");
  }

  events(name: string): Frame[] {
    return this.frames.filter((f) => f.type === "event" && f.event === name);
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  private nextId = 0;
  request(method: string, params?: unknown): Promise<Frame> {
    const id = `r${++this.nextId}`;
    this.send({ type: "req", id, method, params });
    return this.response(id);
  }

  /** Completes the handshake with the given auth; resolves with the connect response. */
  async connect(params: Record<string, unknown> = {}): Promise<Frame> {
    await this.challenge();
    this.send({ type: "req", id: "connect", method: "connect", params: connectParams(params) });
    return this.response("connect");
  }

  close(): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.terminate();
    }
  }
}

export function connectParams(overrides: Record<string, unknown> = {}) {
  return {
    minProtocol: 3,
    maxProtocol: 3,
    client: { id: "test", version: "1.0.0", platform: "linux", mode: "test" },
    ...overrides,
  };
}
