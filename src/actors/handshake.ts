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
import type { ClientSession } from "../protocol/client-session.js";
import type { GatewayAccess } from "../transport/access.js";
import { unauthorizedMessage } from "../transport/auth.js";
import { verifyDevice } from "../transport/device-identity.js";
import type { PeerInfo } from "../transport/client-connection.js";
import { isLoopbackHost } from "../transport/net.js";

export interface HandshakeDeps {
  access: GatewayAccess;
  allowedOrigins: readonly string[];
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
  const given = { token: params.auth?.token, password: params.auth?.password };
  const shared = deps.access.authorize(input.peer, given);
  const scopes = params.scopes ?? (role === "operator" ? DEFAULT_OPERATOR_SCOPES : []);
  let deviceId: string | null = null;
  if (params.device) {
    const device = verifyDevice(
      params.device,
      { clientId: params.client.id, clientMode: params.client.mode, role, scopes, token: given.token ?? "" },
      input.nonce,
      isLocalDirect(input.peer),
    );
    if (!device.ok) throw reject(requestId, ErrorCodes.INVALID_REQUEST, device.message);
    deviceId = device.deviceId;
  }
  if (!shared.ok) {
    const credentialsGiven = Boolean(given.token || given.password);
    if (!credentialsGiven && !params.device) {
      throw reject(requestId, ErrorCodes.NOT_PAIRED, "device identity required");
    }
    throw reject(requestId, ErrorCodes.INVALID_REQUEST, unauthorizedMessage(shared.reason, params.client));
  }
  return {
    connId: input.connId,
    role,
    scopes,
    client: params.client,
    caps: params.caps ?? [],
    deviceId,
    authMethod: shared.method,
    remoteAddress: input.peer.clientIp,
  };
}
