import type { ClientSession } from "../protocol/client-session.js";
import type { ClientConnection } from "./client-connection.js";

export interface BroadcastOptions {
  /** Skipped (but counted in seq) for a connection whose send buffer is over the limit. */
  dropIfSlow?: boolean;
  stateVersion?: { presence: number; health: number };
  /** Only connections this returns true for receive (and count) the event. */
  audience?: (session: ClientSession) => boolean;
  /**
   * The event is for operators only: only they are visited, so 10,000 connected devices (nodes) cost
   * an agent or chat event nothing.
   */
  operatorsOnly?: boolean;
}

/**
 * Fan-out of one event to every ready connection it is meant for. The frame is encoded once; only
 * the per-connection `seq` differs, so each send is a copy of bytes, not a re-serialization.
 */
export class Broadcaster {
  /** The ready connections of role operator, by connId. */
  private readonly operators = new Map<string, ClientConnection>();

  constructor(
    private readonly connections: ReadonlyMap<string, ClientConnection>,
    private readonly maxBufferedBytes: number,
    private readonly onSlowConsumer: (connection: ClientConnection) => void,
    /** After each broadcast: how many connections it was sent to, and how many were too slow for it. */
    private readonly onFanOut: ((event: string, sent: number, dropped: number) => void) | null = null,
  ) {}

  /** A connection completed its handshake (operatorsOnly events reach it from now on if it is an operator). */
  joined(session: ClientSession): void {
    const connection = this.connections.get(session.connId);
    if (connection && session.role === "operator") this.operators.set(session.connId, connection);
  }

  left(session: ClientSession): void {
    this.operators.delete(session.connId);
  }

  send(event: string, payload: unknown, options: BroadcastOptions = {}): void {
    const members = options.operatorsOnly ? this.operators : this.connections;
    if (members.size === 0) return;
    // Encoded on the first connection that receives it: an event nobody may see costs nothing.
    let head: string | Buffer | null = null;
    let sent = 0;
    let dropped = 0;
    for (const connection of members.values()) {
      const session = connection.session;
      if (session === null || !connection.ready) continue;
      if (options.audience && !options.audience(session)) continue;
      connection.seq += 1;
      if (connection.socket.bufferedAmount > this.maxBufferedBytes) {
        if (!options.dropIfSlow) this.onSlowConsumer(connection);
        dropped += 1;
        continue;
      }
      head ??= encodeHead(event, payload, options);
      // A small event is one string per connection; a large one is sent in two parts, its bulk shared.
      if (typeof head === "string") connection.sendText(`${head}${connection.seq}}`);
      else connection.sendInTwoParts(head, Buffer.from(`${connection.seq}}`));
      sent += 1;
    }
    this.onFanOut?.(event, sent, dropped);
  }
}

/** Below this size the frame is built per connection as a string; above it the encoded head is shared. */
const SHARED_HEAD_MIN_CHARS = 4 * 1024;

/** The frame up to its `seq`: text when small, else bytes every connection's send shares. */
function encodeHead(event: string, payload: unknown, options: BroadcastOptions): string | Buffer {
  const stateVersion = options.stateVersion ? `,"stateVersion":${JSON.stringify(options.stateVersion)}` : "";
  const text = `{"type":"event","event":${JSON.stringify(event)},"payload":${JSON.stringify(payload)}${stateVersion},"seq":`;
  return text.length < SHARED_HEAD_MIN_CHARS ? text : Buffer.from(text);
}
