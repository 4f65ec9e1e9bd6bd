import { randomInt } from "node:crypto";
import type Database from "better-sqlite3";

/** Uppercase, without the look-alikes 0 O 1 I. */
export const PAIRING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
export const PAIRING_CODE_LENGTH = 8;
export const PAIRING_TTL_MS = 60 * 60_000;
export const PAIRING_MAX_PENDING = 3;

export interface PairingRequest {
  channel: string;
  accountId: string;
  code: string;
  senderId: string;
  senderName: string | null;
  createdAt: number;
  expiresAt: number;
}

export type PairingOutcome =
  /** A new request: its code goes to the sender. */
  | { kind: "created"; request: PairingRequest }
  /** The sender already has a pending code (it is not sent again). */
  | { kind: "pending"; request: PairingRequest }
  /** The channel has the maximum of pending requests: ignored until one expires or is decided. */
  | { kind: "full" };

export function newPairingCode(): string {
  let code = "";
  for (let i = 0; i < PAIRING_CODE_LENGTH; i++) code += PAIRING_ALPHABET[randomInt(PAIRING_ALPHABET.length)];
  return code;
}

/** A code as a user may type it: case and surrounding spaces do not matter. */
export function normalizePairingCode(code: string): string {
  return code.trim().toUpperCase();
}

const REQUEST_COLUMNS = `channel, account_id AS accountId, code, sender_id AS senderId, sender_name AS senderName,
  created_at AS createdAt, expires_at AS expiresAt`;

/**
 * DM pairing (openclaw-docs channels/pairing.md) in state.db: pending requests with their codes, and
 * the senders approved per channel account. Read on every message, so an approval applies at once.
 */
export class PairingStore {
  private readonly statements;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {
    this.statements = {
      expire: db.prepare("DELETE FROM channel_pairing_requests WHERE expires_at <= ?"),
      pending: db.prepare(
        `SELECT ${REQUEST_COLUMNS} FROM channel_pairing_requests WHERE channel = ? ORDER BY created_at`,
      ),
      pendingOfSender: db.prepare(
        `SELECT ${REQUEST_COLUMNS} FROM channel_pairing_requests
         WHERE channel = ? AND account_id = ? AND sender_id = ?`,
      ),
      byCode: db.prepare(
        `SELECT ${REQUEST_COLUMNS} FROM channel_pairing_requests WHERE channel = ? AND code = ?`,
      ),
      insert: db.prepare(
        `INSERT INTO channel_pairing_requests (channel, account_id, code, sender_id, sender_name, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      remove: db.prepare("DELETE FROM channel_pairing_requests WHERE channel = ? AND code = ?"),
      approve: db.prepare(
        `INSERT OR REPLACE INTO channel_allow_from (channel, account_id, sender_id, approved_at) VALUES (?, ?, ?, ?)`,
      ),
      isApproved: db.prepare(
        "SELECT 1 FROM channel_allow_from WHERE channel = ? AND account_id = ? AND sender_id = ?",
      ),
      approved: db.prepare(
        `SELECT account_id AS accountId, sender_id AS senderId, approved_at AS approvedAt FROM channel_allow_from
         WHERE channel = ? ORDER BY approved_at`,
      ),
    };
  }

  private expire(): void {
    this.statements.expire.run(this.now());
  }

  /** Pending requests of a channel, oldest first (expired ones are gone). */
  pending(channel: string): PairingRequest[] {
    this.expire();
    return this.statements.pending.all(channel) as PairingRequest[];
  }

  /** An unknown sender wrote: a new code, the one it already has, or nothing when the channel is full. */
  request(channel: string, accountId: string, senderId: string, senderName: string | null): PairingOutcome {
    return this.db.transaction((): PairingOutcome => {
      this.expire();
      const existing = this.statements.pendingOfSender.get(channel, accountId, senderId) as
        PairingRequest | undefined;
      if (existing) return { kind: "pending", request: existing };
      if (this.pending(channel).length >= PAIRING_MAX_PENDING) return { kind: "full" };
      let code = newPairingCode();
      while (this.statements.byCode.get(channel, code)) code = newPairingCode();
      const createdAt = this.now();
      const request: PairingRequest = {
        channel,
        accountId,
        code,
        senderId,
        senderName,
        createdAt,
        expiresAt: createdAt + PAIRING_TTL_MS,
      };
      this.statements.insert.run(
        channel,
        accountId,
        code,
        senderId,
        senderName,
        createdAt,
        request.expiresAt,
      );
      return { kind: "created", request };
    })();
  }

  /** Approves a pending code: its sender may DM that account from now on. */
  approve(channel: string, code: string): PairingRequest | null {
    return this.db.transaction(() => {
      this.expire();
      const request = this.statements.byCode.get(channel, normalizePairingCode(code)) as
        PairingRequest | undefined;
      if (!request) return null;
      this.statements.remove.run(channel, request.code);
      this.statements.approve.run(channel, request.accountId, request.senderId, this.now());
      return request;
    })();
  }

  reject(channel: string, code: string): PairingRequest | null {
    this.expire();
    const request = this.statements.byCode.get(channel, normalizePairingCode(code)) as
      PairingRequest | undefined;
    if (request) this.statements.remove.run(channel, request.code);
    return request ?? null;
  }

  isApproved(channel: string, accountId: string, senderId: string): boolean {
    return this.statements.isApproved.get(channel, accountId, senderId) !== undefined;
  }

  approved(channel: string): Array<{ accountId: string; senderId: string; approvedAt: number }> {
    return this.statements.approved.all(channel) as Array<{
      accountId: string;
      senderId: string;
      approvedAt: number;
    }>;
  }
}
