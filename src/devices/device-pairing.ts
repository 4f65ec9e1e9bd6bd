import type {
  DeviceDescription,
  DevicePairingRequest,
  DeviceStore,
  IssuedDeviceToken,
  PairedDevice,
} from "./device-store.js";

export type PairingDecision = "approved" | "rejected";

export interface PairingResolved {
  requestId: string;
  deviceId: string;
  decision: PairingDecision;
  ts: number;
}

/** What pairing tells the rest of the gateway: events for pairing admins, and access taken away. */
export interface DevicePairingEvents {
  requested(request: DevicePairingRequest): void;
  resolved(resolved: PairingResolved): void;
  /** The device's access for `role` (every role when null) ended: its live token sessions go. */
  revoked(deviceId: string, role: string | null): void;
}

/** The outcome for a device that connected without the shared secret. */
export type DeviceAdmission =
  /** `issued`: a token to hand over in hello-ok (the first connect after approval). */
  | { kind: "admitted"; scopes: string[]; issued: IssuedDeviceToken | null }
  /** `requestId` is null when too many requests are pending to take another. */
  | { kind: "pairing-required"; requestId: string | null }
  | { kind: "token-mismatch" };

/** Whether a holder of `held` may use (or grant) `wanted`: admin covers every scope, write covers read. */
export function coversScopes(held: readonly string[], wanted: readonly string[]): boolean {
  if (held.includes("operator.admin")) return true;
  return wanted.every(
    (scope) => held.includes(scope) || (scope === "operator.read" && held.includes("operator.write")),
  );
}

/**
 * Device pairing (REFERENCE §5.4, operator-scopes.md): who is paired for which role and scopes, the
 * requests waiting for an operator, and the per-role device tokens. Used by the handshake and the
 * `device.*` methods alike.
 */
export class DevicePairing {
  constructor(
    readonly store: DeviceStore,
    private readonly events: DevicePairingEvents,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A client that holds the shared secret presented a device: the secret already grants what it asks
   * for, so the device is paired at once (pairing admins hear of it) and gets a token for the role,
   * unless it presented its live token.
   */
  admitSecretHolder(
    device: DeviceDescription,
    role: string,
    scopes: string[],
    presentedToken: string | undefined,
  ): IssuedDeviceToken | null {
    const store = this.store;
    const extended = store.pair(device, role, scopes);
    if (extended) {
      this.events.resolved({
        requestId: `auto:${device.deviceId.slice(0, 16)}:${this.now()}`,
        deviceId: device.deviceId,
        decision: "approved",
        ts: this.now(),
      });
    }
    if (presentedToken && store.tokens.check(device.deviceId, role, presentedToken).ok) return null;
    return store.tokens.issue(device.deviceId, role, scopes);
  }

  /**
   * A device without the shared secret: its device token (within the scopes it carries), else the
   * token its approval left waiting, else a pairing request for what it asked.
   */
  admitDevice(
    device: DeviceDescription,
    role: string,
    requestedScopes: string[] | undefined,
    token: string | undefined,
  ): DeviceAdmission {
    const store = this.store;
    if (token !== undefined) {
      const check = store.tokens.check(device.deviceId, role, token);
      if (!check.ok) return { kind: "token-mismatch" };
      const scopes = requestedScopes ?? check.scopes;
      if (!coversScopes(check.scopes, scopes)) return this.requestPairing(device, role, scopes);
      store.touch(device);
      return { kind: "admitted", scopes, issued: null };
    }
    const issued = store.tokens.claimApproved(device.deviceId, role, requestedScopes);
    if (issued) {
      store.touch(device);
      return { kind: "admitted", scopes: issued.scopes, issued };
    }
    return this.requestPairing(device, role, requestedScopes ?? []);
  }

  private requestPairing(device: DeviceDescription, role: string, scopes: string[]): DeviceAdmission {
    const outcome = this.store.requestPairing(device, role, scopes);
    if (outcome.kind === "full") return { kind: "pairing-required", requestId: null };
    if (outcome.kind === "created") this.events.requested(outcome.request);
    return { kind: "pairing-required", requestId: outcome.request.requestId };
  }

  list(): { pending: DevicePairingRequest[]; paired: PairedDevice[] } {
    return { pending: this.store.pending(), paired: this.store.allPaired() };
  }

  approve(requestId: string): DevicePairingRequest | null {
    const request = this.store.approve(requestId);
    if (request) this.resolve(request, "approved");
    return request;
  }

  reject(requestId: string): DevicePairingRequest | null {
    const request = this.store.reject(requestId);
    if (request) this.resolve(request, "rejected");
    return request;
  }

  private resolve(request: DevicePairingRequest, decision: PairingDecision): void {
    this.events.resolved({
      requestId: request.requestId,
      deviceId: request.deviceId,
      decision,
      ts: this.now(),
    });
  }

  remove(deviceId: string): boolean {
    const removed = this.store.remove(deviceId);
    if (removed) this.events.revoked(deviceId, null);
    return removed;
  }

  /**
   * Every paired device (or only `onlyDeviceId`) is forgotten and its token sessions closed; with
   * `pending`, every pending request is rejected as well (pairing admins hear of each).
   */
  clear(
    pending: boolean,
    onlyDeviceId: string | null,
  ): { removedDevices: string[]; rejectedPending: string[] } {
    const { removed, rejected } = this.store.clear(pending, onlyDeviceId);
    for (const request of rejected) this.resolve(request, "rejected");
    for (const deviceId of removed) this.events.revoked(deviceId, null);
    return { removedDevices: removed, rejectedPending: rejected.map((request) => request.requestId) };
  }

  /**
   * A fresh token for a role the device is paired for: the old one is refused from now on, while
   * connections it already opened stay (a device rotating its own token keeps the connection it asked on).
   */
  rotate(deviceId: string, role: string, scopes: string[]): IssuedDeviceToken {
    return this.store.tokens.issue(deviceId, role, scopes);
  }

  revoke(deviceId: string, role: string): number | null {
    const revokedAtMs = this.store.tokens.revoke(deviceId, role);
    if (revokedAtMs !== null) this.events.revoked(deviceId, role);
    return revokedAtMs;
  }
}
