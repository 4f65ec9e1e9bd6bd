import { resolveConfigPath } from "../config/paths.js";
import { connectAsDevice } from "./device-connect.js";
import { explainAuthFailure } from "./auth-failure.js";
import { GatewayClient } from "./gateway-client.js";
import { resolveCliTarget, type CliTarget, type TargetFlags } from "./cli-target.js";

export interface ConnectOptions extends TargetFlags {
  timeout: number;
  caps?: string[];
  mode?: string;
}

/** `--url` never borrows credentials from config or env: it must come with its own (REFERENCE §1.10). */
export function assertUrlCredentials(flags: TargetFlags): void {
  if (flags.url && !flags.token && !flags.password) {
    throw new Error(
      [
        "gateway url override requires explicit credentials",
        "Fix: pass --token or --password.",
        `Config: ${resolveConfigPath()}`,
      ].join("\n"),
    );
  }
}

/** Connects as the CLI (fail fast: no retries, errors name the target). */
export async function connectCli(
  flags: ConnectOptions,
): Promise<{ client: GatewayClient; target: CliTarget }> {
  assertUrlCredentials(flags);
  const target = resolveCliTarget(flags);
  let client: GatewayClient;
  try {
    client = await connectAsDevice(
      (device) =>
        new GatewayClient({
          url: target.url,
          token: target.token,
          password: target.password,
          tlsFingerprint: target.tlsFingerprint,
          client: { id: "cli", mode: flags.mode ?? "cli", version: "cli" },
          scopes: ["operator.admin", "operator.approvals", "operator.pairing"],
          caps: flags.caps,
          connectTimeoutMs: flags.timeout,
          describeTarget: target.describe,
          ...device,
        }),
      target.url,
    );
  } catch (error) {
    const message = (error as Error).message;
    const explained = explainAuthFailure(message, target);
    throw explained === message ? error : new Error(explained);
  }
  return { client, target };
}

/** One request, then disconnect. */
export async function callGateway<T = unknown>(
  method: string,
  params: unknown,
  flags: ConnectOptions & { expectFinal?: boolean },
): Promise<T> {
  const { client } = await connectCli(flags);
  try {
    return await client.request<T>(method, params, {
      timeoutMs: flags.timeout,
      expectFinal: flags.expectFinal,
    });
  } finally {
    await client.close();
  }
}
