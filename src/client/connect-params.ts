import { AGENT_DELTA_CAP, PROTOCOL_VERSION } from "../protocol/index.js";
import { deviceSignaturePayload, signedToken } from "../transport/device-identity.js";

/** A device identity the client signs its connect with. */
export interface ConnectDeviceSigner {
  deviceId: string;
  /** The raw Ed25519 public key, base64url. */
  publicKey: string;
  sign(payload: string): string;
}

/** Who the client says it is in `connect`, and the credentials it offers. */
export interface ConnectIdentity {
  token?: string;
  password?: string;
  client?: { id?: string; mode?: string; version?: string; displayName?: string; instanceId?: string };
  role?: string;
  scopes?: string[];
  /** Asked for on connect, with `agent-delta` always (assistant events then carry only the new text). */
  caps?: string[];
  /** Signs connect (v3) with this identity; a paired device then gets a device token in hello-ok. */
  device?: ConnectDeviceSigner;
  /** A device token this gateway issued to `device`, sent as `auth.deviceToken`. */
  deviceToken?: string;
}

/** The params of the `connect` request, answering the challenge's `nonce`. */
export function connectParams(identity: ConnectIdentity, nonce: string | undefined) {
  const client = identity.client ?? {};
  const clientInfo = {
    id: client.id ?? "gateway-client",
    displayName: client.displayName,
    version: client.version ?? "dev",
    platform: process.platform,
    mode: client.mode ?? "backend",
    instanceId: client.instanceId,
  };
  const role = identity.role ?? "operator";
  const scopes = identity.scopes ?? ["operator.admin"];
  const auth = {
    token: identity.token,
    password: identity.password,
    deviceToken: identity.deviceToken,
  };
  return {
    minProtocol: PROTOCOL_VERSION,
    maxProtocol: PROTOCOL_VERSION,
    client: clientInfo,
    role,
    scopes,
    caps: [...new Set([...(identity.caps ?? []), AGENT_DELTA_CAP])],
    auth,
    device: signedDevice(
      identity.device,
      nonce,
      { clientId: clientInfo.id, clientMode: clientInfo.mode, role, scopes },
      auth,
    ),
  };
}

/** The `device` block: a v3 signature over the challenge nonce (REFERENCE §5.4). */
function signedDevice(
  device: ConnectDeviceSigner | undefined,
  nonce: string | undefined,
  fields: { clientId: string; clientMode: string; role: string; scopes: string[] },
  auth: { token?: string; deviceToken?: string },
) {
  if (!device || nonce === undefined) return undefined;
  const signedAt = Date.now();
  const payload = deviceSignaturePayload(
    { id: device.deviceId, signedAt, nonce },
    { ...fields, token: signedToken(auth), platform: process.platform },
    "v3",
  );
  return {
    id: device.deviceId,
    publicKey: device.publicKey,
    signature: device.sign(payload),
    signedAt,
    nonce,
  };
}
