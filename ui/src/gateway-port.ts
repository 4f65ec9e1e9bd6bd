/**
 * What a Control UI view needs from the browser's gateway connection: requests, events, and a signal
 * that the connection was re-established (views re-read what they show then).
 */
export interface GatewayPort {
  /** A `req`; resolves with the `res` payload, rejects with an Error carrying the gateway's `code` and `message`. */
  request<T = unknown>(method: string, params?: unknown): Promise<T>;
  /** Subscribes to one gateway event by name; returns the unsubscribe function. */
  on(event: string, handler: (payload: unknown) => void): () => void;
  /** Called after every successful (re)connect, including the first; returns the unsubscribe function. */
  onConnected(handler: () => void): () => void;
}
