/**
 * What a Control UI view needs from the browser's gateway connection: requests, events, and a signal
 * that what the view shows may be stale (it re-reads then).
 */
export interface GatewayPort {
  /** A `req`; resolves with the `res` payload, rejects with an Error carrying the gateway's `code` and `message`. */
  request<T = unknown>(method: string, params?: unknown): Promise<T>;
  /** Subscribes to one gateway event by name; returns the unsubscribe function. */
  on(event: string, handler: (payload: unknown) => void): () => void;
  /**
   * Called after every successful (re)connect, including the first, and after missed events (a gap in
   * the event numbers); returns the unsubscribe function.
   */
  onResync(handler: () => void): () => void;
}
