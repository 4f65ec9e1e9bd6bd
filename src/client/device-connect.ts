import { cliCommand, resolveStateDir } from "../config/paths.js";
import { ErrorCodes } from "../protocol/index.js";
import { resolveCliTarget, type TargetFlags } from "./cli-target.js";
import { ClientDeviceIdentity } from "./device-identity-file.js";
import type { ConnectDeviceSigner } from "./connect-params.js";
import type { GatewayClient } from "./gateway-client.js";
import { GatewayRequestError } from "./gateway-errors.js";

const ROLE = "operator";

/**
 * Connects the CLI as its own device (`<stateDir>/identity/`): signs connect with its key, sends the
 * device token this gateway issued it (if any), and keeps the token a hello-ok hands over. A refused
 * token is forgotten; a pairing request is explained with the command that approves it.
 */
export async function connectAsDevice(
  makeClient: (device: { device?: ConnectDeviceSigner; deviceToken?: string }) => GatewayClient,
  gatewayUrl: string,
): Promise<GatewayClient> {
  let identity: ClientDeviceIdentity | null = null;
  let stored = null;
  try {
    identity = ClientDeviceIdentity.loadOrCreate(resolveStateDir());
    stored = identity.deviceToken(gatewayUrl, ROLE);
  } catch {
    // A state dir the CLI cannot write (or an unreadable identity) costs the device, not the command:
    // the shared secret still connects it.
  }
  if (!identity) return connectPlain(makeClient({}));
  const client = makeClient({ device: identity, deviceToken: stored?.token });
  try {
    const hello = await client.connect();
    if (hello.auth?.deviceToken) {
      try {
        identity.saveDeviceToken(gatewayUrl, hello.auth.role, {
          token: hello.auth.deviceToken,
          scopes: hello.auth.scopes,
          issuedAtMs: hello.auth.issuedAtMs ?? Date.now(),
        });
      } catch {
        // Not kept: the next connect with the secret is issued another.
      }
    }
    return client;
  } catch (error) {
    await client.close();
    if (!(error instanceof GatewayRequestError)) throw error;
    if (error.message.includes("device token mismatch")) identity.forgetDeviceToken(gatewayUrl, ROLE);
    const requestId = (error.shape.details as { requestId?: unknown } | undefined)?.requestId;
    if (error.code === ErrorCodes.NOT_PAIRED && typeof requestId === "string") {
      throw new Error(
        [
          `pairing required: this device (${identity.deviceId.slice(0, 12)}…) waits for approval (request ${requestId})`,
          `Approve it on the gateway host with: ${cliCommand(`devices approve ${requestId}`)}`,
        ].join("\n"),
        { cause: error },
      );
    }
    throw error;
  }
}

async function connectPlain(client: GatewayClient): Promise<GatewayClient> {
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.close();
    throw error;
  }
}

/** After `device.token.rotate` of this CLI's own device, keeps the new token for that gateway. */
export function keepOwnRotatedToken(
  flags: TargetFlags,
  rotated: { deviceId: string; role: string; scopes: string[]; token: string },
): void {
  try {
    const identity = ClientDeviceIdentity.loadOrCreate(resolveStateDir());
    if (identity.deviceId !== rotated.deviceId) return;
    identity.saveDeviceToken(resolveCliTarget(flags).url, rotated.role, {
      token: rotated.token,
      scopes: rotated.scopes,
      issuedAtMs: Date.now(),
    });
  } catch {
    // Not kept: the next connect with the secret is issued another.
  }
}
