import type { IncomingMessage } from "node:http";
import type { WebSocket } from "ws";
import type { Actor } from "xstate";
import type { connectionMachine } from "../machines/connection.machine.js";
import type { ClientSession } from "../methods/method-spec.js";

export type ConnectionActor = Actor<typeof connectionMachine>;

/** A socket, its machine, and what the transport tracks per connection (seq, keepalive, identity). */
export class ClientConnection {
  /** Events this connection was entitled to so far; a gap on the client means a drop. */
  seq = 0;
  missedPongs = 0;
  nonce = "";
  session: ClientSession | null = null;
  actor!: ConnectionActor;

  constructor(
    readonly connId: string,
    readonly socket: WebSocket,
    readonly request: IncomingMessage,
  ) {}

  get ready(): boolean {
    return this.actor.getSnapshot().value === "ready";
  }

  get remoteAddress(): string {
    return this.request.socket.remoteAddress ?? "";
  }
}
