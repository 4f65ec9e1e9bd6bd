import { GatewayClient } from "../client/gateway-client.js";

export interface RpcProbeCall {
  method: string;
  params?: unknown;
}

export interface RpcProbeOptions {
  url: string;
  token?: string;
  password?: string;
  /** Required certificate fingerprint for a wss:// url. */
  tlsFingerprint?: string;
  timeoutMs: number;
  calls: RpcProbeCall[];
  describeTarget?: () => string;
  /** Rewrites a connection error for the reader (e.g. which token each side used). */
  explainError?: (message: string) => string;
}

export interface RpcProbeResult {
  /** The handshake completed (the gateway is reachable and accepted the credentials). */
  connected: boolean;
  url: string;
  connectLatencyMs: number | null;
  /** Connection error, first line first (`gateway closed (1006 ...)`, `unauthorized`, timeout). */
  error?: string;
  results: Record<string, unknown>;
  errors: Record<string, string>;
}

/**
 * Connects once as a probe, calls each method in parallel, disconnects. Never throws: failures are
 * values, because every caller (status, gateway status) reports an unreachable gateway and exits 0.
 */
export async function probeGatewayRpc(options: RpcProbeOptions): Promise<RpcProbeResult> {
  const client = new GatewayClient({
    url: options.url,
    ...(options.token ? { token: options.token } : {}),
    ...(options.password ? { password: options.password } : {}),
    ...(options.tlsFingerprint ? { tlsFingerprint: options.tlsFingerprint } : {}),
    client: { id: "cli", mode: "probe", version: "cli" },
    scopes: ["operator.admin", "operator.read"],
    connectTimeoutMs: options.timeoutMs,
    ...(options.describeTarget ? { describeTarget: options.describeTarget } : {}),
  });
  const started = Date.now();
  const result: RpcProbeResult = {
    connected: false,
    url: options.url,
    connectLatencyMs: null,
    results: {},
    errors: {},
  };
  try {
    await client.connect();
    result.connected = true;
    result.connectLatencyMs = Date.now() - started;
    const remaining = Math.max(250, options.timeoutMs - (Date.now() - started));
    await Promise.all(
      options.calls.map(async ({ method, params }) => {
        try {
          result.results[method] = await client.request(method, params ?? {}, { timeoutMs: remaining });
        } catch (error) {
          result.errors[method] = (error as Error).message;
        }
      }),
    );
  } catch (error) {
    const message = (error as Error).message;
    result.error = options.explainError ? options.explainError(message) : message;
  } finally {
    await client.close().catch(() => undefined);
  }
  return result;
}
