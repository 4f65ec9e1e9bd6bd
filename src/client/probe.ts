import { GatewayClient } from "./gateway-client.js";
import { GatewayClosedError, GatewayUnreachableError } from "./gateway-errors.js";

export interface ProbeOptions {
  url: string;
  token?: string;
  password?: string;
  /** Required certificate fingerprint for a wss:// url. */
  tlsFingerprint?: string;
  /** Whole budget for connect + the four calls; at least 250 ms. */
  timeoutMs: number;
}

/** REFERENCE §9.3: what one probe connection learned about a gateway. */
export interface ProbeResult {
  ok: boolean;
  url: string;
  connectLatencyMs: number | null;
  error: string | null;
  close: { code: number; reason: string } | null;
  health: unknown;
  status: unknown;
  presence: unknown;
  configSnapshot: unknown;
}

const MIN_PROBE_TIMEOUT_MS = 250;

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split("\n")[0] ?? "";
}

function isTimeout(error: unknown): boolean {
  return /^gateway timeout after /.test(firstLine(error));
}

/**
 * Connects as client `cli` in mode `probe`, then asks `health`, `status`, `system-presence` and
 * `config.get` in parallel. Never throws: an unreachable gateway is a result, not an error.
 */
export async function probeGateway(options: ProbeOptions): Promise<ProbeResult> {
  const timeoutMs = Math.max(MIN_PROBE_TIMEOUT_MS, options.timeoutMs);
  const result: ProbeResult = {
    ok: false,
    url: options.url,
    connectLatencyMs: null,
    error: null,
    close: null,
    health: null,
    status: null,
    presence: null,
    configSnapshot: null,
  };
  const started = Date.now();
  const client = new GatewayClient({
    url: options.url,
    token: options.token,
    password: options.password,
    tlsFingerprint: options.tlsFingerprint,
    client: { id: "cli", mode: "probe", version: "cli" },
    scopes: ["operator.read"],
    connectTimeoutMs: timeoutMs,
  });
  let closing = false;
  client.on("close", (code, reason) => {
    if (!closing) result.close = { code, reason };
  });
  try {
    await client.connect();
  } catch (error) {
    result.error = isTimeout(error) ? "timeout" : `connect failed: ${firstLine(error)}`;
    if (error instanceof GatewayClosedError) {
      result.close = { code: error.closeCode, reason: error.closeReason };
    }
    // Refused: no connection was ever open, so there is no close to report.
    if (error instanceof GatewayUnreachableError) result.close = null;
    closing = true;
    await client.close();
    return result;
  }
  result.connectLatencyMs = Date.now() - started;
  const remaining = Math.max(1, timeoutMs - (Date.now() - started));
  try {
    const call = (method: string) => client.request(method, {}, { timeoutMs: remaining });
    [result.health, result.status, result.presence, result.configSnapshot] = await Promise.all([
      call("health"),
      call("status"),
      call("system-presence"),
      call("config.get"),
    ]);
    result.ok = true;
  } catch (error) {
    result.error = isTimeout(error) ? "timeout" : firstLine(error);
  } finally {
    closing = true;
    await client.close();
  }
  return result;
}
