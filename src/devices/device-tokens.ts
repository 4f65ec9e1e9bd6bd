import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type Database from "better-sqlite3";

export interface DeviceTokenSummary {
  role: string;
  scopes: string[];
  issuedAtMs: number | null;
  /** Approved, to be handed to the device at its next connect. */
  awaitingDevice: boolean;
  revokedAtMs: number | null;
  lastUsedAtMs: number | null;
}

export interface IssuedDeviceToken {
  deviceToken: string;
  role: string;
  scopes: string[];
  issuedAtMs: number;
}

export type TokenCheck = { ok: true; scopes: string[] } | { ok: false };

interface TokenRow {
  device_id: string;
  role: string;
  token_hash: string | null;
  scopes: string;
  issued_at: number | null;
  claim_pending: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

function hashToken(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/** 32 random bytes, base64url (REFERENCE §5.4). */
function newToken(): string {
  return randomBytes(32).toString("base64url");
}

function summaryOf(row: TokenRow): DeviceTokenSummary {
  return {
    role: row.role,
    scopes: JSON.parse(row.scopes) as string[],
    issuedAtMs: row.issued_at,
    awaitingDevice: row.claim_pending === 1,
    revokedAtMs: row.revoked_at,
    lastUsedAtMs: row.last_used_at,
  };
}

/**
 * One device token per device and role, in state.db. A token is kept only as its SHA-256 hash (it is
 * 256 random bits, so a fast hash is enough) and compared in constant time.
 */
export class DeviceTokens {
  private readonly sql;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {
    this.sql = {
      token: db.prepare("SELECT * FROM device_tokens WHERE device_id = ? AND role = ?"),
      ofDevice: db.prepare("SELECT * FROM device_tokens WHERE device_id = ? ORDER BY role"),
      put: db.prepare(
        `INSERT INTO device_tokens (device_id, role, token_hash, scopes, issued_at, claim_pending, revoked_at)
         VALUES (@device_id, @role, @token_hash, @scopes, @issued_at, @claim_pending, NULL)
         ON CONFLICT (device_id, role) DO UPDATE SET token_hash = excluded.token_hash, scopes = excluded.scopes,
           issued_at = excluded.issued_at, claim_pending = excluded.claim_pending, revoked_at = NULL`,
      ),
      use: db.prepare("UPDATE device_tokens SET last_used_at = ? WHERE device_id = ? AND role = ?"),
      revoke: db.prepare(
        `UPDATE device_tokens SET token_hash = NULL, claim_pending = 0, revoked_at = ?
         WHERE device_id = ? AND role = ?`,
      ),
      removeAll: db.prepare("DELETE FROM device_tokens WHERE device_id = ?"),
    };
  }

  ofDevice(deviceId: string): DeviceTokenSummary[] {
    return (this.sql.ofDevice.all(deviceId) as TokenRow[]).map(summaryOf);
  }

  /** An approval: the device's next connect for `role` is handed a token with `scopes`. */
  awaitDevice(deviceId: string, role: string, scopes: string[]): void {
    this.sql.put.run({
      device_id: deviceId,
      role,
      token_hash: null,
      scopes: JSON.stringify(scopes),
      issued_at: null,
      claim_pending: 1,
    });
  }

  /** A new token for the device and role, replacing any earlier one. */
  issue(deviceId: string, role: string, scopes: string[]): IssuedDeviceToken {
    const deviceToken = newToken();
    const issuedAtMs = this.now();
    this.sql.put.run({
      device_id: deviceId,
      role,
      token_hash: hashToken(deviceToken).toString("hex"),
      scopes: JSON.stringify(scopes),
      issued_at: issuedAtMs,
      claim_pending: 0,
    });
    return { deviceToken, role, scopes, issuedAtMs };
  }

  /** The token an approval left for this device and role, if it is still waiting and covers `scopes`. */
  claimApproved(deviceId: string, role: string, scopes: string[] | undefined): IssuedDeviceToken | null {
    return this.db.transaction(() => {
      const row = this.sql.token.get(deviceId, role) as TokenRow | undefined;
      if (!row || row.claim_pending !== 1) return null;
      const approved = JSON.parse(row.scopes) as string[];
      if (scopes && !scopes.every((scope) => approved.includes(scope))) return null;
      return this.issue(deviceId, role, scopes ?? approved);
    })();
  }

  /** Whether `token` is the live token of this device and role; its scopes when it is. */
  check(deviceId: string, role: string, token: string): TokenCheck {
    const row = this.sql.token.get(deviceId, role) as TokenRow | undefined;
    const given = hashToken(token);
    const stored = row?.token_hash ? Buffer.from(row.token_hash, "hex") : null;
    // Hash first, compare in constant time; a missing row compares against itself so timing says nothing.
    const equal = timingSafeEqual(given, stored ?? given) && stored !== null;
    if (!row || !equal || row.revoked_at !== null) return { ok: false };
    this.sql.use.run(this.now(), deviceId, role);
    return { ok: true, scopes: JSON.parse(row.scopes) as string[] };
  }

  /** When the token was revoked, or null when the device had none for that role. */
  revoke(deviceId: string, role: string): number | null {
    const now = this.now();
    return this.sql.revoke.run(now, deviceId, role).changes > 0 ? now : null;
  }

  removeAll(deviceId: string): void {
    this.sql.removeAll.run(deviceId);
  }
}
