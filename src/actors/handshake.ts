import {
  CloseCodes,
  ErrorCodes,
  PROTOCOL_VERSION,
  ROLES,
  truncateCloseReason,
  validateConnectParams,
  type ConnectParams,
} from "../protocol/index.js";
import type { HandshakeRejection } from "../machines/connection.machine.js";
import type { ClientSession, DeviceTokenGrant } from "../protocol/client-session.js";
import type { DeviceAdmission, DevicePairing } from "../devices/device-pairing.js";
import type { DeviceDescription } from "../devices/device-store.js";
import type { GatewayAccess } from "../transport/access.js";
import { unauthorizedMessage } from "../transport/auth.js";
import { signedToken, verifyDevice } from "../transport/device-identity.js";
import type { PeerInfo } from "../transport/client-connection.js";
import { isLoopbackHost } from "../transport/net.js";

export interface HandshakeDeps {
  access: GatewayAccess;
  allowedOrigins: readonly string[];
  /** Device pairing, once state.db is open (null when it cannot be used). */
  devices: DevicePairing | null;
}

/** A session as the handshake admits it: with the device token hello-ok hands over, if one was issued. */
export interface AdmittedSession extends ClientSession {
  deviceAuth?: DeviceTokenGrant;
}

export interface HandshakeInput {
  connId: string;
  requestId: string;
  params: unknown;
  nonce: string;
  peer: PeerInfo;
}

/** A client authenticated by the shared secret and asking for no scopes is the operator-admin. */
const DEFAULT_OPERATOR_SCOPES = ["operator.admin"];

function reject(
  requestId: string,
  code: string,
  message: string,
  close: number = CloseCodes.POLICY_VIOLATION,
  details?: unknown,
): HandshakeRejection {
  return {
    requestId,
    error: details === undefined ? { code, message } : { code, message, details },
    code: close,
    reason: truncateCloseReason(message),
  };
}

function hostOf(value: string): string {
  const host = value.startsWith("[") ? value.slice(1, value.indexOf("]")) : (value.split(":")[0] ?? "");
  return host.toLowerCase();
}

/**
 * "Local direct": a loopback client that addressed us by a loopback (or tailnet) name, with no proxy
 * headers unless they came from a trusted proxy.
 */
export function isLocalDirect(peer: PeerInfo): boolean {
  const host = hostOf(peer.host);
  return (
    isLoopbackHost(peer.clientIp) &&
    (host === "localhost" || isLoopbackHost(host) || host.endsWith(".ts.net")) &&
    (!peer.forwarded || peer.viaTrustedProxy)
  );
}

/** Browsers always send Origin: only the gateway's own origin, loopback pages and allowed origins may connect. */
function originAllowed(peer: PeerInfo, allowedOrigins: readonly string[]): boolean {
  const origin = peer.origin;
  if (origin === undefined || origin === "null") return origin === undefined;
  if (allowedOrigins.includes(origin)) return true;
  let originHost: string;
  try {
    originHost = new URL(origin).host.toLowerCase();
  } catch {
    return false;
  }
  if (originHost === peer.host.toLowerCase()) return true;
  return isLocalDirect(peer) && (hostOf(originHost) === "localhost" || isLoopbackHost(hostOf(originHost)));
}

/** REFERENCE §5.2 item 5, in order. Resolves to the session, or rejects with a HandshakeRejection. */
export function authenticateConnect(input: HandshakeInput, deps: HandshakeDeps): ClientSession {
  const { requestId } = input;
  const checked = validateConnectParams(input.params);
  if (!checked.ok) {
    throw reject(requestId, ErrorCodes.INVALID_REQUEST, `invalid connect params: ${checked.message}`);
  }
  const params: ConnectParams = checked.value;
  if (params.maxProtocol < PROTOCOL_VERSION || params.minProtocol > PROTOCOL_VERSION) {
    throw reject(requestId, ErrorCodes.INVALID_REQUEST, "protocol mismatch", CloseCodes.PROTOCOL_ERROR, {
      expectedProtocol: PROTOCOL_VERSION,
    });
  }
  const role = params.role ?? "operator";
  if (!(ROLES as readonly string[]).includes(role)) {
    throw reject(requestId, ErrorCodes.INVALID_REQUEST, "invalid role");
  }
  if (!originAllowed(input.peer, deps.allowedOrigins)) {
    throw reject(
      requestId,
      ErrorCodes.INVALID_REQUEST,
      "origin not allowed (open the Control UI from the gateway host or allow it in gateway.controlUi.allowedOrigins)",
    );
  }
  const auth = params.auth ?? {};
  const given = { token: auth.token, password: auth.password };
  const shared = deps.access.authorize(input.peer, given);
  let device: DeviceDescription | null = null;
  if (params.device) {
    const checked = verifyDevice(
      params.device,
      {
        clientId: params.client.id,
        clientMode: params.client.mode,
        role,
        // Signed as sent: a client that sends no scopes signs an empty list.
        scopes: params.scopes ?? [],
        token: signedToken(auth),
        platform: params.client.platform,
        deviceFamily: params.client.deviceFamily,
      },
      input.nonce,
      isLocalDirect(input.peer),
    );
    if (!checked.ok) throw reject(requestId, ErrorCodes.INVALID_REQUEST, checked.message);
    device = {
      deviceId: checked.deviceId,
      publicKey: params.device.publicKey,
      clientId: params.client.id,
      clientMode: params.client.mode,
      platform: params.client.platform,
      deviceFamily: params.client.deviceFamily ?? null,
      displayName: params.client.displayName ?? null,
      remoteIp: input.peer.clientIp,
    };
  }
  const session = (scopes: string[], authMethod: ClientSession["authMethod"]): AdmittedSession => ({
    connId: input.connId,
    role,
    scopes,
    client: params.client,
    caps: params.caps ?? [],
    deviceId: device?.deviceId ?? null,
    authMethod,
    remoteAddress: input.peer.clientIp,
  });
  if (shared.ok) {
    // The shared secret grants what was asked; a device that comes with it is paired on the spot.
    const scopes = params.scopes ?? (role === "operator" ? DEFAULT_OPERATOR_SCOPES : []);
    const admitted = session(scopes, shared.method);
    if (device && deps.devices) {
      try {
        const issued = deps.devices.admitSecretHolder(device, role, scopes, auth.deviceToken);
        if (issued) admitted.deviceAuth = issued;
      } catch {
        // state.db refused the write: the secret still lets the client in, without a device token.
      }
    }
    return admitted;
  }
  const credentialsGiven = Boolean(given.token || given.password);
  // A device token may come as `auth.deviceToken`, or (older clients) as `auth.token`.
  const deviceToken = auth.deviceToken ?? (credentialsGiven ? given.token : undefined);
  if (device && (!credentialsGiven || deviceToken)) {
    if (!deps.devices) {
      throw reject(
        requestId,
        ErrorCodes.UNAVAILABLE,
        "device pairing unavailable: state database cannot be used",
        CloseCodes.TRY_AGAIN_LATER,
      );
    }
    const devices = deps.devices;
    let limited: ReturnType<typeof deps.access.limitDeviceToken<DeviceAdmission>>;
    try {
      limited = deps.access.limitDeviceToken(
        input.peer,
        () => devices.admitDevice(device, role, params.scopes, deviceToken),
        (outcome) => outcome.kind === "token-mismatch",
      );
    } catch (error) {
      const message = `device pairing unavailable: ${(error as Error).message}`;
      throw reject(requestId, ErrorCodes.UNAVAILABLE, message, CloseCodes.TRY_AGAIN_LATER);
    }
    if (!limited.ok) {
      throw reject(requestId, ErrorCodes.INVALID_REQUEST, unauthorizedMessage("rate_limited", params.client));
    }
    const admission = limited.result;
    if (admission.kind === "admitted") {
      const admitted = session(admission.scopes, "device-token");
      if (admission.issued) admitted.deviceAuth = admission.issued;
      return admitted;
    }
    if (admission.kind === "pairing-required") {
      if (admission.requestId === null) {
        throw reject(
          requestId,
          ErrorCodes.NOT_PAIRED,
          "pairing required (too many pending requests; retry later)",
        );
      }
      throw reject(requestId, ErrorCodes.NOT_PAIRED, "pairing required", CloseCodes.POLICY_VIOLATION, {
        requestId: admission.requestId,
      });
    }
    // A wrong `auth.token` that is not a device token either is reported as the shared-secret failure.
    if (auth.deviceToken !== undefined || !credentialsGiven) {
      throw reject(
        requestId,
        ErrorCodes.INVALID_REQUEST,
        "unauthorized: device token mismatch (rotate/reissue device token)",
      );
    }
  }
  if (!credentialsGiven && !params.device) {
    throw reject(requestId, ErrorCodes.NOT_PAIRED, "device identity required");
  }
  throw reject(requestId, ErrorCodes.INVALID_REQUEST, unauthorizedMessage(shared.reason, params.client));
}
