import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { DeviceTokens, type DeviceTokenSummary } from "./device-tokens.js";

export type { DeviceTokenSummary, IssuedDeviceToken, TokenCheck } from "./device-tokens.js";

/** A pending request lives this long (REFERENCE §5.4). */
export const DEVICE_PAIRING_TTL_MS = 5 * 60_000;
/** Requests come from clients that hold no secret yet: their number is bounded. */
export const DEVICE_PAIRING_MAX_PENDING = 64;
/** ... and one address cannot take them all. */
export const DEVICE_PAIRING_MAX_PENDING_PER_IP = 8;
/** Client-supplied descriptions are stored at most this long. */
const METADATA_MAX_CHARS = 256;

/** What a connecting device says about itself (stored with its request and pairing). */
export interface DeviceDescription {
  deviceId: string;
  publicKey: string;
  clientId: string;
  clientMode: string;
  platform: string | null;
  deviceFamily: string | null;
  displayName: string | null;
  remoteIp: string;
}

export interface DevicePairingRequest extends DeviceDescription {
  requestId: string;
  role: string;
  scopes: string[];
  createdAtMs: number;
  expiresAtMs: number;
}

export interface PairedDevice extends DeviceDescription {
  roles: string[];
  scopes: string[];
  pairedAtMs: number;
  lastSeenAtMs: number | null;
  tokens: DeviceTokenSummary[];
}

export type RequestOutcome =
  | { kind: "created"; request: DevicePairingRequest }
  /** The device asked for the same thing again: its request stands. */
  | { kind: "pending"; request: DevicePairingRequest }
  | { kind: "full" };

interface RequestRow {
  request_id: string;
  device_id: string;
  public_key: string;
  role: string;
  scopes: string;
  client_id: string | null;
  client_mode: string | null;
  platform: string | null;
  device_family: string | null;
  display_name: string | null;
  remote_ip: string | null;
  created_at: number;
  expires_at: number;
}

interface PairedRow extends Omit<RequestRow, "request_id" | "role" | "created_at" | "expires_at"> {
  roles: string;
  paired_at: number;
  last_seen_at: number | null;
}

function bounded(value: string | null | undefined): string | null {
  return value ? value.slice(0, METADATA_MAX_CHARS) : null;
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

function describe(row: Omit<RequestRow, "request_id" | "role" | "scopes" | "created_at" | "expires_at">) {
  return {
    deviceId: row.device_id,
    publicKey: row.public_key,
    clientId: row.client_id ?? "",
    clientMode: row.client_mode ?? "",
    platform: row.platform,
    deviceFamily: row.device_family,
    displayName: row.display_name,
    remoteIp: row.remote_ip ?? "",
  };
}

function requestOf(row: RequestRow): DevicePairingRequest {
  return {
    requestId: row.request_id,
    ...describe(row),
    role: row.role,
    scopes: JSON.parse(row.scopes) as string[],
    createdAtMs: row.created_at,
    expiresAtMs: row.expires_at,
  };
}

/** Paired devices, pending pairing requests and (in `tokens`) device tokens, in state.db. */
export class DeviceStore {
  readonly tokens: DeviceTokens;
  private readonly sql;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = new DeviceTokens(db, now);
    this.sql = {
      expire: db.prepare("DELETE FROM device_pairing_requests WHERE expires_at <= ?"),
      pending: db.prepare("SELECT * FROM device_pairing_requests ORDER BY created_at"),
      pendingCount: db.prepare("SELECT COUNT(*) AS n FROM device_pairing_requests"),
      pendingFromIp: db.prepare(
        "SELECT COUNT(*) AS n FROM device_pairing_requests WHERE remote_ip = ? AND device_id != ?",
      ),
      requestById: db.prepare("SELECT * FROM device_pairing_requests WHERE request_id = ?"),
      requestOfDevice: db.prepare("SELECT * FROM device_pairing_requests WHERE device_id = ?"),
      insertRequest: db.prepare(
        `INSERT OR REPLACE INTO device_pairing_requests (request_id, device_id, public_key, role, scopes,
           client_id, client_mode, platform, device_family, display_name, remote_ip, created_at, expires_at)
         VALUES (@request_id, @device_id, @public_key, @role, @scopes, @client_id, @client_mode, @platform,
           @device_family, @display_name, @remote_ip, @created_at, @expires_at)`,
      ),
      deleteRequest: db.prepare("DELETE FROM device_pairing_requests WHERE request_id = ?"),
      deleteRequestsOfDevice: db.prepare("DELETE FROM device_pairing_requests WHERE device_id = ?"),
      paired: db.prepare("SELECT * FROM paired_devices WHERE device_id = ?"),
      allPaired: db.prepare("SELECT * FROM paired_devices ORDER BY paired_at"),
      pairedIds: db.prepare("SELECT device_id FROM paired_devices ORDER BY paired_at").pluck(),
      upsertPaired: db.prepare(
        `INSERT INTO paired_devices (device_id, public_key, roles, scopes, client_id, client_mode, platform,
           device_family, display_name, remote_ip, paired_at, last_seen_at)
         VALUES (@device_id, @public_key, @roles, @scopes, @client_id, @client_mode, @platform,
           @device_family, @display_name, @remote_ip, @paired_at, @last_seen_at)
         ON CONFLICT (device_id) DO UPDATE SET public_key = excluded.public_key, roles = excluded.roles,
           scopes = excluded.scopes, client_id = excluded.client_id, client_mode = excluded.client_mode,
           platform = excluded.platform, device_family = excluded.device_family,
           display_name = excluded.display_name, remote_ip = excluded.remote_ip,
           last_seen_at = excluded.last_seen_at`,
      ),
      touchPaired: db.prepare(
        "UPDATE paired_devices SET last_seen_at = ?, remote_ip = ?, platform = ?, display_name = ? WHERE device_id = ?",
      ),
      deletePaired: db.prepare("DELETE FROM paired_devices WHERE device_id = ?"),
    };
  }

  private expire(): void {
    this.sql.expire.run(this.now());
  }

  /** Pending requests, oldest first (expired ones are gone). */
  pending(): DevicePairingRequest[] {
    this.expire();
    return (this.sql.pending.all() as RequestRow[]).map(requestOf);
  }

  request(requestId: string): DevicePairingRequest | null {
    this.expire();
    const row = this.sql.requestById.get(requestId) as RequestRow | undefined;
    return row ? requestOf(row) : null;
  }

  paired(deviceId: string): PairedDevice | null {
    const row = this.sql.paired.get(deviceId) as PairedRow | undefined;
    return row ? this.pairedOf(row) : null;
  }

  allPaired(): PairedDevice[] {
    return (this.sql.allPaired.all() as PairedRow[]).map((row) => this.pairedOf(row));
  }

  private pairedOf(row: PairedRow): PairedDevice {
    return {
      ...describe(row),
      roles: JSON.parse(row.roles) as string[],
      scopes: JSON.parse(row.scopes) as string[],
      pairedAtMs: row.paired_at,
      lastSeenAtMs: row.last_seen_at,
      tokens: this.tokens.ofDevice(row.device_id),
    };
  }

  /**
   * An unpaired device (or one asking for a role or scopes it was not approved for) asks to be paired.
   * One request per device: the same ask keeps its request, a different one supersedes it.
   */
  requestPairing(device: DeviceDescription, role: string, scopes: string[]): RequestOutcome {
    return this.db.transaction((): RequestOutcome => {
      this.expire();
      const existing = this.sql.requestOfDevice.get(device.deviceId) as RequestRow | undefined;
      if (
        existing &&
        existing.role === role &&
        existing.public_key === device.publicKey &&
        existing.scopes === JSON.stringify(scopes)
      ) {
        return { kind: "pending", request: requestOf(existing) };
      }
      const count = (this.sql.pendingCount.get() as { n: number }).n - (existing ? 1 : 0);
      const fromIp = (this.sql.pendingFromIp.get(bounded(device.remoteIp), device.deviceId) as { n: number })
        .n;
      if (count >= DEVICE_PAIRING_MAX_PENDING || fromIp >= DEVICE_PAIRING_MAX_PENDING_PER_IP) {
        return { kind: "full" };
      }
      if (existing) this.sql.deleteRequest.run(existing.request_id);
      const createdAt = this.now();
      const row: RequestRow = {
        request_id: randomUUID(),
        ...this.descriptionRow(device),
        role,
        scopes: JSON.stringify(scopes),
        created_at: createdAt,
        expires_at: createdAt + DEVICE_PAIRING_TTL_MS,
      };
      this.sql.insertRequest.run(row);
      return { kind: "created", request: requestOf(row) };
    })();
  }

  private descriptionRow(device: DeviceDescription) {
    return {
      device_id: device.deviceId,
      public_key: device.publicKey,
      client_id: bounded(device.clientId),
      client_mode: bounded(device.clientMode),
      platform: bounded(device.platform),
      device_family: bounded(device.deviceFamily),
      display_name: bounded(device.displayName),
      remote_ip: bounded(device.remoteIp),
    };
  }

  /** Adds the role and scopes to the device's pairing (creating it); says whether anything was new. */
  pair(device: DeviceDescription, role: string, scopes: string[]): boolean {
    const existing = this.paired(device.deviceId);
    const roles = union(existing?.roles ?? [], [role]);
    const allScopes = union(existing?.scopes ?? [], scopes);
    const now = this.now();
    this.sql.upsertPaired.run({
      ...this.descriptionRow(device),
      roles: JSON.stringify(roles),
      scopes: JSON.stringify(allScopes),
      paired_at: existing?.pairedAtMs ?? now,
      last_seen_at: now,
    });
    return !existing || roles.length > existing.roles.length || allScopes.length > existing.scopes.length;
  }

  /** Approves a pending request: the device is paired, and its token waits for its next connect. */
  approve(requestId: string): DevicePairingRequest | null {
    return this.db.transaction(() => {
      const request = this.request(requestId);
      if (!request) return null;
      this.sql.deleteRequest.run(requestId);
      this.pair(request, request.role, request.scopes);
      this.tokens.awaitDevice(request.deviceId, request.role, request.scopes);
      return request;
    })();
  }

  reject(requestId: string): DevicePairingRequest | null {
    const request = this.request(requestId);
    if (request) this.sql.deleteRequest.run(requestId);
    return request;
  }

  /** Forgets a device: its pairing, its tokens and any request it has pending. */
  remove(deviceId: string): boolean {
    return this.db.transaction(() => {
      this.sql.deleteRequestsOfDevice.run(deviceId);
      this.tokens.removeAll(deviceId);
      return this.sql.deletePaired.run(deviceId).changes > 0;
    })();
  }

  /**
   * Forgets every paired device (only `onlyDeviceId` when given) and, with `pending`, first drops every
   * pending request too, in one transaction: a device connecting meanwhile finds all of it or none.
   */
  clear(
    pending: boolean,
    onlyDeviceId: string | null,
  ): { removed: string[]; rejected: DevicePairingRequest[] } {
    return this.db.transaction(() => {
      const covered = (deviceId: string) => onlyDeviceId === null || deviceId === onlyDeviceId;
      const rejected = pending ? this.pending().filter((request) => covered(request.deviceId)) : [];
      for (const request of rejected) this.sql.deleteRequest.run(request.requestId);
      const removed = (this.sql.pairedIds.all() as string[]).filter(covered);
      for (const deviceId of removed) this.remove(deviceId);
      return { removed, rejected };
    })();
  }

  /** Records that a paired device connected (when, from where, as what). */
  touch(device: DeviceDescription): void {
    this.sql.touchPaired.run(
      this.now(),
      bounded(device.remoteIp),
      bounded(device.platform),
      bounded(device.displayName),
      device.deviceId,
    );
  }
}
