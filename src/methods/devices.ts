import { Type } from "@sinclair/typebox";
import { coversScopes, type DevicePairing } from "../devices/device-pairing.js";
import type { DevicePairingRequest } from "../devices/device-store.js";
import { ErrorCodes, type ClientSession } from "../protocol/index.js";
import { GatewayError } from "../protocol/gateway-error.js";
import { defineMethod } from "./method-spec.js";
import type { GatewayServices } from "./services.js";

const RequestId = Type.String({ minLength: 1, maxLength: 128 });
const DeviceId = Type.String({ minLength: 1, maxLength: 128 });
const Role = Type.String({ minLength: 1, maxLength: 64 });
const Scopes = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32 });
const closed = { additionalProperties: false } as const;

function devicePairing(gateway: GatewayServices): DevicePairing {
  if (!gateway.devices) {
    throw new GatewayError(ErrorCodes.UNAVAILABLE, gateway.storeError ?? "device pairing is not available");
  }
  return gateway.devices;
}

function invalid(message: string): GatewayError {
  return new GatewayError(ErrorCodes.INVALID_REQUEST, message);
}

/**
 * operator-scopes.md: a session that came in on a device token manages only its own device unless it
 * holds operator.admin; shared-secret sessions with the pairing scope manage every device.
 */
function selfScopedTo(session: ClientSession): string | null {
  if (session.authMethod !== "device-token" || session.scopes.includes("operator.admin")) return null;
  return session.deviceId;
}

function requireManageable(session: ClientSession, deviceId: string): void {
  const own = selfScopedTo(session);
  if (own !== null && own !== deviceId) {
    throw invalid("device pairing: only operator.admin may manage another device");
  }
}

/** A caller cannot hand out (or take away) more than it holds itself. */
function requireCovers(session: ClientSession, scopes: readonly string[]): void {
  const missing = scopes.filter((scope) => !coversScopes(session.scopes, [scope]));
  if (missing.length > 0) throw invalid(`missing scope: ${missing.join(", ")}`);
}

function pendingRequest(devices: DevicePairing, session: ClientSession, requestId: string) {
  const request = devices.store.request(requestId);
  if (!request) throw invalid(`unknown requestId: ${requestId}`);
  requireManageable(session, request.deviceId);
  return request;
}

function pairedDevice(devices: DevicePairing, session: ClientSession, deviceId: string) {
  requireManageable(session, deviceId);
  const paired = devices.store.paired(deviceId);
  if (!paired) throw invalid(`unknown deviceId: ${deviceId}`);
  return paired;
}

export const devicePairListMethod = defineMethod({
  name: "device.pair.list",
  scope: "pairing",
  summary: "Pending device pairing requests and paired devices (roles, scopes, token state; never a token).",
  params: Type.Object({}, closed),
  handler: (_params, { session, gateway }) => {
    const listed = devicePairing(gateway).list();
    const own = selfScopedTo(session);
    if (own === null) return listed;
    return {
      pending: listed.pending.filter((request) => request.deviceId === own),
      paired: listed.paired.filter((device) => device.deviceId === own),
    };
  },
});

function resolved(request: DevicePairingRequest) {
  return {
    requestId: request.requestId,
    deviceId: request.deviceId,
    role: request.role,
    scopes: request.scopes,
  };
}

export const devicePairApproveMethod = defineMethod({
  name: "device.pair.approve",
  scope: "pairing",
  summary:
    "Approves a pending request: the device is paired for its role and scopes (the caller must hold them) and receives its device token at its next connect.",
  params: Type.Object({ requestId: RequestId }, closed),
  handler: (params, { session, gateway }) => {
    const devices = devicePairing(gateway);
    const request = pendingRequest(devices, session, params.requestId);
    requireCovers(session, request.scopes);
    const approved = devices.approve(request.requestId);
    if (!approved) throw invalid(`unknown requestId: ${params.requestId}`);
    return { ...resolved(approved), decision: "approved" };
  },
});

export const devicePairRejectMethod = defineMethod({
  name: "device.pair.reject",
  scope: "pairing",
  summary: "Rejects a pending device pairing request.",
  params: Type.Object({ requestId: RequestId }, closed),
  handler: (params, { session, gateway }) => {
    const devices = devicePairing(gateway);
    pendingRequest(devices, session, params.requestId);
    const rejected = devices.reject(params.requestId);
    if (!rejected) throw invalid(`unknown requestId: ${params.requestId}`);
    return { ...resolved(rejected), decision: "rejected" };
  },
});

export const devicePairRemoveMethod = defineMethod({
  name: "device.pair.remove",
  scope: "pairing",
  summary:
    "Forgets a paired device: its tokens stop working and its token-authenticated connections are closed.",
  params: Type.Object({ deviceId: DeviceId }, closed),
  handler: (params, { session, gateway }) => {
    const devices = devicePairing(gateway);
    pairedDevice(devices, session, params.deviceId);
    devices.remove(params.deviceId);
    return { deviceId: params.deviceId, removed: true };
  },
});

export const devicePairClearMethod = defineMethod({
  name: "device.pair.clear",
  scope: "pairing",
  summary:
    "Forgets every paired device (their tokens stop working, their token-authenticated connections are closed); with `pending: true` also rejects every pending request. A device-token session without admin clears only its own device.",
  params: Type.Object({ pending: Type.Optional(Type.Boolean()) }, closed),
  handler: (params, { session, gateway }) =>
    devicePairing(gateway).clear(params.pending === true, selfScopedTo(session)),
});

export const deviceTokenRotateMethod = defineMethod({
  name: "device.token.rotate",
  scope: "pairing",
  summary:
    "Issues a new device token for a role the device is paired for (optionally narrower scopes); the old token is refused from now on. The new token is in the reply.",
  params: Type.Object({ deviceId: DeviceId, role: Role, scopes: Type.Optional(Scopes) }, closed),
  handler: (params, { session, gateway }) => {
    const devices = devicePairing(gateway);
    const paired = pairedDevice(devices, session, params.deviceId);
    if (!paired.roles.includes(params.role)) {
      throw invalid(`device ${params.deviceId} is not paired for role ${params.role}`);
    }
    const current = paired.tokens.find((token) => token.role === params.role);
    const scopes = params.scopes ?? current?.scopes ?? paired.scopes;
    const unapproved = scopes.filter((scope) => !paired.scopes.includes(scope));
    if (unapproved.length > 0) throw invalid(`scopes not approved for this device: ${unapproved.join(", ")}`);
    requireCovers(session, scopes);
    const issued = devices.rotate(params.deviceId, params.role, scopes);
    return {
      deviceId: params.deviceId,
      role: issued.role,
      scopes: issued.scopes,
      token: issued.deviceToken,
      rotatedAtMs: issued.issuedAtMs,
    };
  },
});

export const deviceTokenRevokeMethod = defineMethod({
  name: "device.token.revoke",
  scope: "pairing",
  summary:
    "Revokes a device's token for a role: it is refused from now on, and connections made with it are closed.",
  params: Type.Object({ deviceId: DeviceId, role: Role }, closed),
  handler: (params, { session, gateway }) => {
    const devices = devicePairing(gateway);
    const paired = pairedDevice(devices, session, params.deviceId);
    const current = paired.tokens.find((token) => token.role === params.role);
    if (!current) throw invalid(`device ${params.deviceId} has no token for role ${params.role}`);
    requireCovers(session, current.scopes);
    const revokedAtMs = devices.revoke(params.deviceId, params.role);
    return { deviceId: params.deviceId, role: params.role, revokedAtMs };
  },
});

export const deviceMethods = [
  devicePairListMethod,
  devicePairApproveMethod,
  devicePairRejectMethod,
  devicePairRemoveMethod,
  devicePairClearMethod,
  deviceTokenRotateMethod,
  deviceTokenRevokeMethod,
];
