import type { IncomingMessage } from "node:http";
import type { WebSocket } from "ws";
import type { Actor } from "xstate";
import type { connectionMachine } from "../machines/connection.machine.js";
import type { ClientSession } from "../protocol/client-session.js";
import type { TrustedProxyAuthConfig } from "../config/trusted-proxy-auth.js";
import {
  forwardedClientIp,
  proxyIdentityOf,
  type ProxyIdentity,
  type TrustedProxies,
} from "./trusted-proxies.js";

export type ConnectionActor = Actor<typeof connectionMachine>;

const TEXT_FRAME = { binary: false } as const;
const FIRST_FRAGMENT = { binary: false, fin: false } as const;
const LAST_FRAGMENT = { binary: false, fin: true } as const;

/**
 * A message this large is sent as two fragments rather than copied into one frame. Below it, the
 * copy is cheaper than a second frame, for us and for the client, who has to join fragments.
 */
const FRAGMENT_MIN_BYTES = 8 * 1024;

/** What the handshake needs to know about the HTTP upgrade request (kept instead of the request itself). */
export interface PeerInfo {
  /** The socket's peer. */
  remoteAddress: string;
  /** The client: the socket's peer, or, behind a trusted proxy, the address the proxy names. */
  clientIp: string;
  host: string;
  origin: string | undefined;
  /** Proxy headers were present (X-Forwarded-For / X-Real-IP). */
  forwarded: boolean;
  /** The socket's peer is one of `gateway.trustedProxies`. */
  viaTrustedProxy: boolean;
  /** In auth mode "trusted-proxy": the user the proxy vouches for, or why there is none; else null. */
  proxyIdentity: ProxyIdentity | null;
}

export function peerOf(
  request: IncomingMessage,
  proxies: TrustedProxies,
  proxyAuth: TrustedProxyAuthConfig | null,
): PeerInfo {
  const remoteAddress = request.socket.remoteAddress ?? "";
  const headers = request.headers;
  const viaTrustedProxy = proxies.configured && proxies.includes(remoteAddress);
  return {
    remoteAddress,
    clientIp: (viaTrustedProxy && forwardedClientIp(headers)) || remoteAddress,
    host: headers.host ?? "",
    origin: headers.origin,
    forwarded: headers["x-forwarded-for"] !== undefined || headers["x-real-ip"] !== undefined,
    viaTrustedProxy,
    proxyIdentity: proxyAuth ? proxyIdentityOf(viaTrustedProxy, headers, proxyAuth) : null,
  };
}

/** How much a peer may leave unread, and what happens to one that leaves more. */
export interface SendLimit {
  maxBufferedBytes: number;
  onSlowConsumer(connection: ClientConnection): void;
}

/** Told of every message a connection sends (the `--ws-log` frame trace); null when nobody asked. */
export interface OutboundTrace {
  outbound(connId: string, message: string | Buffer, tail?: Buffer): void;
}

type RawSocket = { cork(): void; uncork(): void };
const rawSocketOf = (socket: WebSocket) => (socket as unknown as { _socket?: RawSocket })._socket;

/**
 * Connections corked in this turn of the event loop, uncorked together once it ends: a broadcast to
 * 10,000 clients then costs one scheduled callback, not one per connection.
 */
let corkedThisTurn: ClientConnection[] = [];

function uncorkAll(): void {
  const corked = corkedThisTurn;
  corkedThisTurn = [];
  for (const connection of corked) {
    connection.corked = false;
    rawSocketOf(connection.socket)?.uncork();
  }
}

/**
 * A socket, its machine, and what the transport tracks per connection (seq, keepalive, identity).
 * Thousands of these are held at once, so it holds no closures of its own until it needs one.
 */
export class ClientConnection {
  /** Events this connection was entitled to so far; a gap on the client means a drop. */
  seq = 0;
  missedPongs = 0;
  nonce = "";
  session: ClientSession | null = null;
  actor!: ConnectionActor;
  readonly openedAt = Date.now();
  /** How the gateway asked the socket to close, and how it did close (for the activity log). */
  closeRequest: { code: number; reason: string } | null = null;
  socketClose: { code: number; reason: string } | null = null;
  trace: OutboundTrace | null = null;
  /** Set while frames of this turn of the event loop are being gathered into one write. */
  corked = false;
  /** The client's address (behind a trusted proxy, the one it names); kept after `peer` is let go. */
  readonly clientIp: string;
  /** What the handshake needs to know about the upgrade request; dropped once it is done. */
  peer: PeerInfo | null;
  private boundSendFrame: ((frame: string) => void) | null = null;

  constructor(
    readonly connId: string,
    readonly socket: WebSocket,
    peer: PeerInfo,
    private readonly sendLimit: SendLimit | null = null,
  ) {
    this.peer = peer;
    this.clientIp = peer.clientIp;
  }

  /**
   * Sends a text frame. Frames sent in the same turn of the event loop leave in one write: a run's
   * events and replies to pipelined requests would otherwise cost one syscall each.
   */
  send(frame: string | Buffer, fin = true): void {
    if (!this.corked) {
      const raw = rawSocketOf(this.socket);
      if (raw) {
        raw.cork();
        this.corked = true;
        if (corkedThisTurn.push(this) === 1) process.nextTick(uncorkAll);
      }
    }
    this.socket.send(frame, fin ? TEXT_FRAME : FIRST_FRAGMENT);
  }

  /** Sends one whole text message (and shows it to the frame trace). */
  sendText(frame: string): void {
    this.trace?.outbound(this.connId, frame);
    this.send(frame);
  }

  /**
   * Sends one text message given in two parts, one of them shared by many connections (the head of a
   * broadcast, the rest of hello-ok). A large message goes out as two fragments, so the shared part
   * is not copied for each connection; nothing can interleave, both are sent in one synchronous call.
   */
  sendInTwoParts(head: Buffer, tail: Buffer): void {
    this.trace?.outbound(this.connId, head, tail);
    if (head.length + tail.length < FRAGMENT_MIN_BYTES) {
      this.send(Buffer.concat([head, tail]));
      return;
    }
    this.send(head, false);
    this.socket.send(tail, LAST_FRAGMENT);
  }

  /**
   * `send`, bound (on first use: an idle connection never needs it), for the dispatcher's replies. A
   * peer that stops reading is a slow consumer for replies as for events: over `maxBufferedBytes` the
   * reply is not queued and the peer is let go.
   */
  get sendFrame(): (frame: string) => void {
    return (this.boundSendFrame ??= (frame: string): void => {
      if (this.sendLimit && this.socket.bufferedAmount > this.sendLimit.maxBufferedBytes) {
        this.sendLimit.onSlowConsumer(this);
        return;
      }
      this.sendText(frame);
    });
  }

  get ready(): boolean {
    return this.actor.getSnapshot().value === "ready";
  }
}
