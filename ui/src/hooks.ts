import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { GatewayPort } from "./gateway-port.js";

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/**
 * Reads something from the gateway now, after every (re)connect and after missed events, so a view
 * never shows what it read from a gateway that has since restarted or moved on. `read` should be
 * stable (useCallback).
 */
export function useGatewayRead<T>(gateway: GatewayPort, read: () => Promise<T>): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  });
  const generation = useRef(0);
  const reload = useCallback(() => {
    const mine = ++generation.current;
    setState((previous) => ({ ...previous, loading: true }));
    read().then(
      (data) => mine === generation.current && setState({ data, error: null, loading: false }),
      (error: Error) =>
        mine === generation.current &&
        setState((previous) => ({ ...previous, error: error.message, loading: false })),
    );
  }, [read]);
  useEffect(() => {
    reload();
    return gateway.onResync(reload);
  }, [gateway, reload]);
  return { ...state, reload };
}

/** Subscribes to a gateway event for the life of the component. */
export function useGatewayEvent(gateway: GatewayPort, event: string, handler: (payload: unknown) => void) {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => gateway.on(event, (payload) => latest.current(payload)), [gateway, event]);
}

export function formatDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

export function formatTime(ts: number): string {
  return new Date(ts).toLocaleTimeString([], { hour12: false });
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
