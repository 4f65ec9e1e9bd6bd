import type { ClientConnection } from "./client-connection.js";

/**
 * Server-side keepalive for every ready connection on one timer: each tick pings, and a peer that
 * has not answered the previous tick's ping is reported, so a silent peer is cut off at most two
 * ticks after its last pong (the ws heartbeat convention). Membership is owned by the connection's `ready` state
 * (entry adds, exit removes); a connection whose actor stopped some other way is dropped at the next tick.
 */
export class KeepaliveSweep {
  private readonly members = new Set<ClientConnection>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly onUnresponsive: (connection: ClientConnection) => void,
  ) {}

  add(connection: ClientConnection): void {
    this.members.add(connection);
    this.timer ??= setInterval(() => this.sweep(), this.intervalMs);
  }

  remove(connection: ClientConnection): void {
    this.members.delete(connection);
    if (this.members.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  clear(): void {
    this.members.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private sweep(): void {
    for (const connection of this.members) {
      if (connection.actor.getSnapshot().status !== "active") {
        this.remove(connection);
      } else if (connection.missedPongs >= 1) {
        this.onUnresponsive(connection);
      } else {
        connection.missedPongs += 1;
        connection.socket.ping();
      }
    }
  }
}
