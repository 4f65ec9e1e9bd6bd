import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { migrate } from "./migrations.js";
import {
  toRun,
  type BoundedMessageRow,
  type MessageOrigin,
  type MessageRow,
  type NewRun,
  type RawRun,
  type RunOutcome,
  type RunRow,
  type SessionRow,
  type SessionSummary,
} from "./rows.js";

/** A database that cannot be opened or used: names the file and what to run next. */
export class StoreError extends Error {
  readonly code = "STATE_DB_UNAVAILABLE";
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(
      `state database ${file} is unusable: ${(cause as Error)?.message ?? String(cause)}. Run \`coderclaw doctor\` to check it.`,
    );
  }
}

const SESSION_COLUMNS =
  "key, session_id AS sessionId, agent_id AS agentId, created_at AS createdAt, updated_at AS updatedAt";

/**
 * Durable state in `<stateDir>/state.db` (SQLite, WAL): sessions, transcripts, runs and their
 * idempotency keys. Every write that a client is told about is committed before it is told.
 */
export class StateStore {
  private readonly db: Database.Database;
  private readonly statements;

  private constructor(
    readonly file: string,
    db: Database.Database,
  ) {
    this.db = db;
    this.statements = {
      getSession: db.prepare(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE key = ?`),
      insertSession: db.prepare(
        "INSERT INTO sessions (key, session_id, agent_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
      ),
      touchSession: db.prepare("UPDATE sessions SET updated_at = ? WHERE key = ?"),
      resetSession: db.prepare("UPDATE sessions SET session_id = ?, updated_at = ? WHERE key = ?"),
      deleteSession: db.prepare("DELETE FROM sessions WHERE key = ?"),
      insertMessage: db.prepare(
        `INSERT INTO messages (session_id, run_id, role, text, state, ts, channel, account_id, peer)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      history: db.prepare(
        `SELECT id, session_id AS sessionId, run_id AS runId, role, text, state, ts, channel,
           account_id AS accountId, peer FROM messages
         WHERE session_id = ? ORDER BY id DESC LIMIT ?`,
      ),
      recentBounded: db.prepare(
        `SELECT id, session_id AS sessionId, run_id AS runId, role, state, ts, channel,
           account_id AS accountId, peer,
           length(CAST(text AS BLOB)) AS bytes,
           CASE WHEN length(CAST(text AS BLOB)) > ? THEN NULL ELSE text END AS text
         FROM messages WHERE session_id = ? ORDER BY id DESC LIMIT ?`,
      ),
      setLastRoute: db.prepare(
        "UPDATE sessions SET last_channel = ?, last_account_id = ?, last_to = ? WHERE key = ?",
      ),
      lastRoute: db.prepare(
        `SELECT last_channel AS channel, last_account_id AS accountId, last_to AS peer FROM sessions
         WHERE key = ? AND last_channel IS NOT NULL`,
      ),
      insertRun: db.prepare(
        `INSERT INTO runs (run_id, dedupe_key, kind, session_key, session_id, agent_id, status, accepted_at)
         VALUES (?, ?, ?, ?, ?, ?, 'accepted', ?)`,
      ),
      getRun: db.prepare("SELECT * FROM runs WHERE run_id = ?"),
      getRunByDedupe: db.prepare("SELECT * FROM runs WHERE dedupe_key = ?"),
      savePartial: db.prepare(
        "UPDATE runs SET status = 'streaming', started_at = ?, text = ? WHERE run_id = ?",
      ),
      finishRun: db.prepare(
        `UPDATE runs SET status = ?, stop_reason = ?, text = ?, error = ?, started_at = ?, ended_at = ?, meta = ?
         WHERE run_id = ?`,
      ),
      unfinished: db.prepare("SELECT * FROM runs WHERE status IN ('accepted', 'streaming')"),
    };
  }

  static open(file: string): StateStore {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      // Created 0600 before SQLite opens it: its -wal and -shm files take the database file's mode.
      fs.closeSync(fs.openSync(file, "a", 0o600));
      const db = new Database(file, { timeout: 5_000 });
      try {
        db.pragma("journal_mode = WAL");
        db.pragma("synchronous = NORMAL");
        db.pragma("foreign_keys = ON");
        migrate(db);
        return new StateStore(file, db);
      } catch (error) {
        db.close();
        throw error;
      }
    } catch (error) {
      throw new StoreError(file, error);
    }
  }

  /** For readers (CLI, doctor) while a gateway may be writing: no migrations, no writes. */
  static openReadOnly(file: string): StateStore {
    try {
      return new StateStore(
        file,
        new Database(file, { readonly: true, fileMustExist: true, timeout: 5_000 }),
      );
    } catch (error) {
      throw new StoreError(file, error);
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // ---- sessions ----------------------------------------------------------------------------------

  getSession(key: string): SessionRow | null {
    return (this.statements.getSession.get(key) as SessionRow | undefined) ?? null;
  }

  ensureSession(key: string, agentId: string, sessionId: string, now: number): SessionRow {
    const existing = this.getSession(key);
    if (existing) return existing;
    this.statements.insertSession.run(key, sessionId, agentId, now, now);
    return { key, sessionId, agentId, createdAt: now, updatedAt: now };
  }

  /** Starts a fresh transcript under the same key; the old messages stay in the file, unreachable. */
  resetSession(key: string, sessionId: string, now: number): SessionRow | null {
    const result = this.statements.resetSession.run(sessionId, now, key);
    return result.changes > 0 ? this.getSession(key) : null;
  }

  deleteSession(key: string): boolean {
    const session = this.getSession(key);
    if (!session) return false;
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM messages WHERE session_id = ?").run(session.sessionId);
      this.statements.deleteSession.run(key);
    })();
    return true;
  }

  listSessions(limit = 500): SessionSummary[] {
    const rows = this.db
      .prepare(
        `SELECT ${SESSION_COLUMNS},
           (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.session_id) AS messageCount
         FROM sessions s ORDER BY updated_at DESC LIMIT ?`,
      )
      .all(limit) as Array<SessionRow & { messageCount: number }>;
    const last = this.db.prepare(
      "SELECT role, text, ts FROM messages WHERE session_id = ? ORDER BY id DESC LIMIT 1",
    );
    return rows.map((row) => ({
      ...row,
      lastMessage: (last.get(row.sessionId) as SessionSummary["lastMessage"] | undefined) ?? null,
    }));
  }

  /** The channel chat a session last talked through (where `deliver: true` replies go). */
  setLastRoute(key: string, route: MessageOrigin): void {
    this.statements.setLastRoute.run(route.channel, route.accountId, route.peer, key);
  }

  lastRoute(key: string): MessageOrigin | null {
    return (this.statements.lastRoute.get(key) as MessageOrigin | undefined) ?? null;
  }

  /** The open database, for stores of other concepts that live in the same file (channel pairing). */
  get database(): Database.Database {
    return this.db;
  }

  // ---- transcripts -------------------------------------------------------------------------------

  /** The last `limit` messages of a transcript, oldest first. */
  history(sessionId: string, limit: number): MessageRow[] {
    return (this.statements.history.all(sessionId, limit) as MessageRow[]).reverse();
  }

  /**
   * A system event (a webhook wake, a hook run's summary) in the session's transcript, the session
   * created for `agentId` when it does not exist yet.
   */
  appendSystemEvent(
    sessionKey: string,
    agentId: string,
    newSessionId: string,
    text: string,
    now: number,
  ): void {
    this.db.transaction(() => {
      const session = this.ensureSession(sessionKey, agentId, newSessionId, now);
      this.statements.insertMessage.run(
        session.sessionId,
        null,
        "system",
        text,
        "final",
        now,
        null,
        null,
        null,
      );
      this.statements.touchSession.run(now, sessionKey);
    })();
  }

  /**
   * The last `limit` messages, newest first, read lazily: a text over `maxTextBytes` is not loaded at
   * all, and the caller stops reading once it has enough, so a huge transcript never sits in memory.
   */
  *recentMessagesBounded(
    sessionId: string,
    limit: number,
    maxTextBytes: number,
  ): Generator<BoundedMessageRow> {
    yield* this.statements.recentBounded.iterate(
      maxTextBytes,
      sessionId,
      limit,
    ) as IterableIterator<BoundedMessageRow>;
  }

  // ---- runs --------------------------------------------------------------------------------------

  /** Records the run and its user message in one transaction (before the client is acked). */
  createRun(run: NewRun): void {
    this.db.transaction(() => {
      this.statements.insertRun.run(
        run.runId,
        run.dedupeKey,
        run.kind,
        run.sessionKey,
        run.sessionId,
        run.agentId,
        run.acceptedAt,
      );
      this.statements.insertMessage.run(
        run.sessionId,
        run.runId,
        run.userRole ?? "user",
        run.userText,
        "final",
        run.acceptedAt,
        run.origin?.channel ?? null,
        run.origin?.accountId ?? null,
        run.origin?.peer ?? null,
      );
      this.statements.touchSession.run(run.acceptedAt, run.sessionKey);
    })();
  }

  getRun(runId: string): RunRow | null {
    const raw = this.statements.getRun.get(runId) as RawRun | undefined;
    return raw ? toRun(raw) : null;
  }

  findRunByDedupeKey(dedupeKey: string): RunRow | null {
    const raw = this.statements.getRunByDedupe.get(dedupeKey) as RawRun | undefined;
    return raw ? toRun(raw) : null;
  }

  /**
   * The text so far of a streaming run, so a crash loses at most the last interval. (A run is
   * `streaming` in the store from its first partial save; its start time is final only at the end.)
   */
  savePartial(runId: string, startedAt: number, text: string): void {
    this.statements.savePartial.run(startedAt, text, runId);
  }

  /** Final status and the assistant's message, committed together. */
  finishRun(run: Pick<RunRow, "runId" | "sessionId" | "sessionKey">, outcome: RunOutcome): void {
    this.db.transaction(() => {
      this.statements.finishRun.run(
        outcome.status,
        outcome.stopReason,
        outcome.text,
        outcome.error,
        outcome.startedAt,
        outcome.endedAt,
        outcome.meta ? JSON.stringify(outcome.meta) : null,
        run.runId,
      );
      if (outcome.text !== "" || outcome.status === "ok") {
        this.statements.insertMessage.run(
          run.sessionId,
          run.runId,
          "assistant",
          outcome.text,
          outcome.messageState,
          outcome.endedAt,
          outcome.replyTo?.channel ?? null,
          outcome.replyTo?.accountId ?? null,
          outcome.replyTo?.peer ?? null,
        );
      }
      this.statements.touchSession.run(outcome.endedAt, run.sessionKey);
    })();
  }

  /** Runs a previous process left accepted or streaming: they end as `interrupted`, partial text kept. */
  interruptUnfinished(now: number): RunRow[] {
    const unfinished = (this.statements.unfinished.all() as RawRun[]).map(toRun);
    for (const run of unfinished) {
      this.finishRun(run, {
        status: "error",
        startedAt: run.startedAt,
        stopReason: "interrupted",
        text: run.text,
        error: "interrupted: the gateway stopped before the run finished",
        endedAt: now,
        messageState: "interrupted",
      });
    }
    return unfinished.map((run) => this.getRun(run.runId) as RunRow);
  }

  /** `PRAGMA quick_check` rows (integrity_check without the index cross-checks); `["ok"]` when healthy. */
  quickCheck(): string[] {
    return (this.db.pragma("quick_check") as Array<{ quick_check: string }>).map((row) => row.quick_check);
  }

  /** One small committed write, so a store that cannot write (read-only, full) says so now. */
  probeWrite(now: number): void {
    this.db
      .prepare(
        "INSERT INTO store_probe (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
      )
      .run(now);
  }

  /** `PRAGMA integrity_check` rows; `["ok"]` when healthy. */
  integrityCheck(): string[] {
    return (this.db.pragma("integrity_check") as Array<{ integrity_check: string }>).map(
      (row) => row.integrity_check,
    );
  }

  counts(): { sessions: number; runs: number; messages: number } {
    const count = (table: string) =>
      (this.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { sessions: count("sessions"), runs: count("runs"), messages: count("messages") };
  }
}
