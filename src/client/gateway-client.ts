import { randomUUID } from "node:crypto";
import { EventEmitter } from "eventemitter3";
import WebSocket from "ws";
import { redactUrl } from "../config/redact.js";
import type { ErrorShape, HelloOk } from "../protocol/index.js";
import { connectParams, type ConnectIdentity } from "./connect-params.js";
import { GatewayClosedError, GatewayRequestError, GatewayUnreachableError } from "./gateway-errors.js";
import { PendingRequests, type ResponseFrameIn } from "./pending-requests.js";
import { TlsFingerprintMismatchError, TlsUntrustedError, verifiedTlsConnect } from "./tls-pin.js";

export interface GatewayClientOptions extends ConnectIdentity {
  url: string;
  /** Reconnect with exponential backoff (1 s → 30 s) after a close; off for one-shot calls. */
  reconnect?: boolean;
  /** Time allowed for open + challenge + hello-ok. */
  connectTimeoutMs?: number;
  /** Extra lines appended to connection errors (target, credential source, config path). */
  describeTarget?: () => string;
  /** SHA-256 fingerprint the gateway's certificate must have; requires a wss:// url. */
  tlsFingerprint?: string;
}

export interface EventFrameIn {
  event: string;
  payload?: unknown;
  seq?: number;
  stateVersion?: { presence: number; health: number };
}

export interface GapRecovery {
  expected: number;
  received: number;
  health: unknown;
  presence: unknown;
}

interface AgentEventIn {
  runId: string;
  stream: string;
  data?: { phase?: string; text?: unknown; delta?: unknown };
}

/** The text of a run so far, rebuilt from `assistant` agent events (deltas, or upstream's whole text). */
export interface AgentText {
  runId: string;
  text: string;
  delta: string;
}

type ClientEvents = {
  hello: (hello: HelloOk) => void;
  event: (frame: EventFrameIn) => void;
  /** After each `assistant` agent event: the run's whole text so far, whichever shape the gateway sent. */
  agentText: (text: AgentText) => void;
  gap: (recovery: GapRecovery) => void;
  close: (code: number, reason: string) => void;
};

/**
 * The protocol-3 client of the CLI and tests: challenge → connect → hello-ok, `request()` with
 * per-call timeouts and two-stage `expectFinal`, tick watchdog, and gap recovery that refreshes
 * `health` and `system-presence` itself.
 */
export class GatewayClient extends EventEmitter<ClientEvents> {
  hello: HelloOk | null = null;
  private socket: WebSocket | null = null;
  private readonly pending = new PendingRequests();
  /** Text so far of each run that is streaming (dropped at its lifecycle end). */
  private readonly runTexts = new Map<string, string>();
  private lastSeq: number | null = null;
  private lastTickAt = 0;
  private tickWatch: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private backoffMs = 1_000;
  private stopped = false;
  private restartExpectedMs: number | null = null;

  constructor(private readonly options: GatewayClientOptions) {
    super();
  }

  /** Opens the socket and completes the handshake; rejects on the first failure (fail fast). */
  connect(): Promise<HelloOk> {
    this.stopped = false;
    const { url, tlsFingerprint } = this.options;
    const secure = /^wss:/i.test(url);
    if (tlsFingerprint !== undefined && !secure) {
      // A pin on a plain url would silently protect nothing.
      return Promise.reject(
        new Error(`gateway tls fingerprint requires wss:// gateway url${this.details()}`),
      );
    }
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, {
        maxPayload: 25 * 1024 * 1024,
        // @types/ws declares net's createConnection; for wss, ws itself passes a TLS connect there.
        ...(secure ? { createConnection: verifiedTlsConnect(tlsFingerprint) as never } : {}),
      });
      this.socket = socket;
      let settled = false;
      const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
      const timer = setTimeout(() => {
        fail(new Error(`gateway timeout after ${timeoutMs}ms${this.details()}`));
        socket.terminate();
      }, timeoutMs);
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      };
      const connectId = randomUUID();
      // A refused connection otherwise surfaces only as close 1006, which says nothing useful.
      socket.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code === "ECONNREFUSED")
          fail(new GatewayUnreachableError(this.options.url, this.details()));
        if (error instanceof TlsFingerprintMismatchError || error instanceof TlsUntrustedError)
          fail(new Error(`${error.message}${this.details()}`));
      });
      // A refused upgrade (a plain ws:// url on the TLS port gets 400): say what the gateway answered.
      socket.on("unexpected-response", (request, response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body = (body + chunk).slice(0, 512)));
        response.on("end", () => {
          const said = body.trim().split("\n")[0];
          fail(
            new Error(
              `gateway refused the WebSocket upgrade (HTTP ${response.statusCode})${said ? `: ${said}` : ""}${this.details()}`,
            ),
          );
          request.destroy();
        });
      });
      socket.on("message", (data) => {
        let frame: {
          type?: string;
          event?: string;
          id?: string;
          ok?: boolean;
          payload?: unknown;
          error?: ErrorShape;
        };
        try {
          frame = JSON.parse(data.toString());
        } catch {
          return;
        }
        if (!settled && frame.type === "event" && frame.event === "connect.challenge") {
          const nonce = (frame.payload as { nonce?: unknown } | undefined)?.nonce;
          const params = connectParams(this.options, typeof nonce === "string" ? nonce : undefined);
          socket.send(JSON.stringify({ type: "req", id: connectId, method: "connect", params }));
          return;
        }
        if (!settled && frame.type === "res" && frame.id === connectId) {
          if (!frame.ok) {
            fail(new GatewayRequestError(frame.error as ErrorShape));
            return;
          }
          settled = true;
          clearTimeout(timer);
          this.onHello(frame.payload as HelloOk);
          resolve(frame.payload as HelloOk);
          return;
        }
        this.onFrame(frame);
      });
      socket.on("close", (code, reasonBuffer) => {
        const reason = reasonBuffer.toString();
        fail(new GatewayClosedError(code, reason, this.details()));
        this.onClose(code, reason);
      });
    });
  }

  private details(): string {
    const extra = this.options.describeTarget?.();
    return extra ? `\n${extra}` : `\nGateway target: ${redactUrl(this.options.url)}`;
  }

  private onHello(hello: HelloOk): void {
    this.hello = hello;
    this.backoffMs = 1_000;
    this.lastSeq = null;
    this.restartExpectedMs = null;
    this.lastTickAt = Date.now();
    const interval = hello.policy.tickIntervalMs;
    this.tickWatch = setInterval(
      () => {
        if (Date.now() - this.lastTickAt > interval * 2) this.socket?.close(4000, "tick timeout");
      },
      Math.max(interval, 1_000),
    );
    this.tickWatch.unref();
    this.emit("hello", hello);
  }

  private onFrame(frame: {
    type?: string;
    id?: string;
    ok?: boolean;
    payload?: unknown;
    error?: ErrorShape;
  }): void {
    if (frame.type === "res" && frame.id !== undefined) {
      this.pending.settle(frame as ResponseFrameIn);
      return;
    }
    if (frame.type === "event") this.onEvent(frame as unknown as EventFrameIn);
  }

  private onEvent(frame: EventFrameIn): void {
    if (frame.event === "tick") this.lastTickAt = Date.now();
    if (frame.event === "shutdown") {
      this.restartExpectedMs =
        (frame.payload as { restartExpectedMs?: number | null }).restartExpectedMs ?? null;
    }
    if (typeof frame.seq === "number") {
      const expected = this.lastSeq === null ? frame.seq : this.lastSeq + 1;
      this.lastSeq = frame.seq;
      if (frame.seq > expected) void this.recoverGap(expected, frame.seq);
    }
    this.emit("event", frame);
    if (frame.event === "agent") this.onAgentEvent(frame.payload as AgentEventIn);
  }

  private onAgentEvent(payload: AgentEventIn): void {
    if (payload.stream === "lifecycle" && payload.data?.phase !== "start") {
      this.runTexts.delete(payload.runId);
      return;
    }
    if (payload.stream !== "assistant") return;
    const delta = typeof payload.data?.delta === "string" ? payload.data.delta : "";
    const text =
      typeof payload.data?.text === "string"
        ? payload.data.text
        : (this.runTexts.get(payload.runId) ?? "") + delta;
    this.runTexts.set(payload.runId, text);
    this.emit("agentText", { runId: payload.runId, text, delta });
  }

  /** Events are never replayed: after a gap, refetch the state they would have updated. */
  private async recoverGap(expected: number, received: number): Promise<void> {
    try {
      const [health, presence] = await Promise.all([this.request("health"), this.request("system-presence")]);
      this.emit("gap", { expected, received, health, presence });
    } catch {
      // The connection is going away; the next hello-ok carries a fresh snapshot.
    }
  }

  private onClose(code: number, reason: string): void {
    if (this.tickWatch) clearInterval(this.tickWatch);
    this.tickWatch = null;
    this.lastSeq = null;
    this.runTexts.clear();
    this.pending.rejectAll(new GatewayClosedError(code, reason, this.details()));
    const wasConnected = this.hello !== null;
    this.hello = null;
    this.emit("close", code, reason);
    if (this.options.reconnect && !this.stopped && wasConnected) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = this.restartExpectedMs ?? this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect().catch(() => {
        if (!this.stopped) this.scheduleReconnect();
      });
    }, delay);
  }

  request<T = unknown>(
    method: string,
    params?: unknown,
    options: { timeoutMs?: number; expectFinal?: boolean } = {},
  ): Promise<T> {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN || !this.hello) {
      return Promise.reject(new Error("gateway not connected"));
    }
    const id = randomUUID();
    return this.pending.track<T>(id, method, options, () =>
      socket.send(JSON.stringify({ type: "req", id, method, params })),
    );
  }

  /** Closes the socket and stops reconnecting; resolves once the socket is closed. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      socket.once("close", () => resolve());
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(1000);
      setTimeout(() => {
        socket.terminate();
        resolve();
      }, 1_000).unref();
    });
  }
}
