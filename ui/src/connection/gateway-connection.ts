import { createActor, type SnapshotFrom } from "xstate";
import type { GatewayPort } from "../gateway-port.js";
import { controlUiConnectionMachine, type Secret } from "./connection.machine.js";
import { forgetStoredToken, storeToken } from "./secret-storage.js";

export type ConnectionSnapshot = SnapshotFrom<typeof controlUiConnectionMachine>;

/** An error answer of the gateway, with its stable code. */
export class GatewayRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (payload: unknown) => void;
  reject: (error: Error) => void;
}

export interface HelloOk {
  server?: { version?: string; host?: string; connId?: string };
  snapshot?: {
    uptimeMs?: number;
    sessionDefaults?: { defaultAgentId?: string; mainSessionKey?: string };
    authMode?: string;
  };
  features?: { methods?: string[]; events?: string[] };
  policy?: { tickIntervalMs?: number };
}

const CLIENT_VERSION = "control-ui";
const SCOPES = [
  "operator.admin",
  "operator.read",
  "operator.write",
  "operator.approvals",
  "operator.pairing",
];

/**
 * The browser's one WebSocket to the gateway, driven by the connection machine. Views use it through
 * GatewayPort: requests, events, and a call whenever what they show may be stale (after every
 * (re)connect, and after missed events) so they re-read it.
 */
export class GatewayConnection implements GatewayPort {
  readonly actor;
  hello: HelloOk | null = null;
  /** When the page started connecting, and when it first reached hello-ok (performance.now()). */
  readonly timing: { startedAt: number; connectedAt: number | null } = {
    startedAt: performance.now(),
    connectedAt: null,
  };
  private socket: WebSocket | null = null;
  private nextId = 1;
  private connectId = "";
  private lastSeq: number | null = null;
  private lastFrameAt = 0;
  private tickWatch: ReturnType<typeof setInterval> | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly handlers = new Map<string, Set<(payload: unknown) => void>>();
  private readonly resyncHandlers = new Set<() => void>();

  constructor(
    private readonly url: string,
    secret: Secret | null,
  ) {
    this.actor = createActor(
      controlUiConnectionMachine.provide({
        actions: {
          openSocket: () => this.open(),
          closeSocket: () => this.close(),
          sendConnect: (_, { secret: current }) => this.sendConnect(current),
          storeSecret: (_, { secret: next }) => {
            if (next.kind === "token") storeToken(next.value);
            else forgetStoredToken();
          },
          forgetSecret: () => forgetStoredToken(),
          announceConnected: () => {
            if (this.timing.connectedAt === null) {
              this.timing.connectedAt = performance.now();
              performance.mark("coderclaw:connected");
            }
            this.resyncViews();
          },
          resync: () => {
            this.refreshHealthAndPresence();
            this.resyncViews();
          },
        },
      }),
      { input: { secret } },
    );
  }

  start(): void {
    this.actor.start();
  }

  request<T = unknown>(method: string, params: unknown = {}): Promise<T> {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN || !this.actor.getSnapshot().matches("connected")) {
      return Promise.reject(new GatewayRequestError("UNAVAILABLE", "gateway not connected"));
    }
    const id = `ui-${this.nextId++}`;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (payload: unknown) => void, reject });
      socket.send(JSON.stringify({ type: "req", id, method, params }));
    });
  }

  on(event: string, handler: (payload: unknown) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  onResync(handler: () => void): () => void {
    this.resyncHandlers.add(handler);
    return () => this.resyncHandlers.delete(handler);
  }

  private resyncViews(): void {
    // Views re-read after the machine settled in `connected`, so their requests are sent.
    queueMicrotask(() => this.resyncHandlers.forEach((handler) => handler()));
  }

  /** What every page keeps current from events, whichever view is open (REFERENCE §5.10). */
  private refreshHealthAndPresence(): void {
    this.request("health")
      .then((health) => this.emit("health", health))
      .catch(() => undefined);
    this.request<unknown>("system-presence")
      .then((presence) => this.emit("presence", { presence }))
      .catch(() => undefined);
  }

  private emit(event: string, payload: unknown): void {
    this.handlers.get(event)?.forEach((handler) => {
      try {
        handler(payload);
      } catch (error) {
        console.error(`handler of ${event} failed`, error);
      }
    });
  }

  private open(): void {
    this.close();
    const socket = new WebSocket(this.url);
    this.socket = socket;
    this.lastSeq = null;
    // Events of a socket this page already gave up on are ignored.
    const current = () => this.socket === socket;
    socket.onopen = () => current() && this.actor.send({ type: "SOCKET_OPENED" });
    socket.onmessage = (message) => current() && this.onFrame(String(message.data));
    socket.onclose = (close) => {
      if (!current()) return;
      this.socket = null;
      this.failPending(`gateway closed (${close.code}): ${close.reason || "no close reason"}`);
      this.actor.send({ type: "SOCKET_CLOSED", code: close.code, reason: close.reason });
    };
  }

  private close(): void {
    clearInterval(this.tickWatch);
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      if (socket.readyState <= WebSocket.OPEN) socket.close(1000, "client closed");
    }
    this.failPending("gateway connection replaced");
  }

  private failPending(message: string): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    pending.forEach(({ reject }) => reject(new GatewayRequestError("UNAVAILABLE", message)));
  }

  private sendConnect(secret: Secret | null): void {
    this.connectId = `connect-${this.nextId++}`;
    const auth = secret ? { [secret.kind]: secret.value } : {};
    this.socket?.send(
      JSON.stringify({
        type: "req",
        id: this.connectId,
        method: "connect",
        params: {
          minProtocol: 3,
          maxProtocol: 3,
          client: {
            id: "coderclaw-control-ui",
            displayName: "Control UI",
            version: CLIENT_VERSION,
            platform: navigator.platform || "web",
            mode: "webchat",
          },
          role: "operator",
          scopes: SCOPES,
          caps: ["inspect"],
          auth,
          userAgent: navigator.userAgent,
          locale: navigator.language,
        },
      }),
    );
  }

  /**
   * The gateway sends a tick every interval: two missed ones mean a dead link (a laptop that slept, a
   * dropped route) that the browser may not notice for minutes, so the page gives up on it and reconnects.
   */
  private watchTicks(intervalMs: number): void {
    clearInterval(this.tickWatch);
    const socket = this.socket;
    this.tickWatch = setInterval(
      () => {
        if (this.socket !== socket) return clearInterval(this.tickWatch);
        if (Date.now() - this.lastFrameAt <= 2 * intervalMs) return;
        this.close();
        this.actor.send({ type: "SOCKET_CLOSED", code: 4000, reason: "tick timeout" });
      },
      Math.max(intervalMs, 1_000),
    );
  }

  private onFrame(text: string): void {
    this.lastFrameAt = Date.now();
    let frame: {
      type?: string;
      id?: string;
      ok?: boolean;
      payload?: unknown;
      error?: { code: string; message: string; details?: unknown };
      event?: string;
      seq?: number;
    };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      return;
    }
    if (frame.type === "res" && frame.id === this.connectId) {
      this.connectId = "";
      if (frame.ok) {
        this.hello = (frame.payload ?? {}) as HelloOk;
        this.watchTicks(this.hello.policy?.tickIntervalMs ?? 30_000);
        this.actor.send({ type: "HELLO" });
      } else {
        const error = frame.error ?? { code: "UNAVAILABLE", message: "connect failed" };
        this.actor.send({ type: "CONNECT_REFUSED", error });
      }
      return;
    }
    if (frame.type === "res" && frame.id) {
      const pending = this.pending.get(frame.id);
      if (!pending) return;
      this.pending.delete(frame.id);
      if (frame.ok) pending.resolve(frame.payload);
      else {
        const error = frame.error ?? { code: "UNAVAILABLE", message: "request failed" };
        pending.reject(new GatewayRequestError(error.code, error.message, error.details));
      }
      return;
    }
    if (frame.type === "event" && frame.event) {
      if (typeof frame.seq === "number") this.checkSeq(frame.seq);
      this.emit(frame.event, frame.payload);
    }
  }

  /** Events are numbered per connection and never replayed: a skipped number is a missed event. */
  private checkSeq(seq: number): void {
    const expected = this.lastSeq === null ? null : this.lastSeq + 1;
    this.lastSeq = seq;
    if (expected === null || seq <= expected) return;
    this.actor.send({ type: "EVENTS_MISSED", gap: { expected, received: seq } });
  }
}
