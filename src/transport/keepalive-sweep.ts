import type { ClientConnection } from "./client-connection.js";

/**
 * Server-side keepalive for every ready connection on one timer: each tick pings, and a peer that
 * left two pings unanswered is reported. Membership is owned by the connection's `ready` state.
 */
export class KeepaliveSweep {
  private readonly members = new Map<ClientConnection, () => void>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly intervalMs: number) {}

  /** Watches `connection` until the returned function is called. */
  add(connection: ClientConnection, onUnresponsive: () => void): () => void {
    this.members.set(connection, onUnresponsive);
    this.timer ??= setInterval(() => this.sweep(), this.intervalMs);
    return () => {
      this.members.delete(connection);
      if (this.members.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  private sweep(): void {
    for (const [connection, onUnresponsive] of this.members) {
      if (connection.missedPongs >= 2) {
        onUnresponsive();
        continue;
      }
      connection.missedPongs += 1;
      connection.socket.ping();
    }
  }
}
