import type Database from "better-sqlite3";

/** Schema versions, applied in order inside one transaction each; never edit a shipped entry. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE sessions (
    key TEXT PRIMARY KEY,
    session_id TEXT NOT NULL UNIQUE,
    agent_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    run_id TEXT,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    text TEXT NOT NULL,
    state TEXT NOT NULL,
    ts INTEGER NOT NULL
  );
  CREATE INDEX messages_by_session ON messages (session_id, id);
  CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    session_key TEXT NOT NULL,
    session_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'streaming', 'ok', 'error')),
    stop_reason TEXT,
    text TEXT NOT NULL DEFAULT '',
    error TEXT,
    accepted_at INTEGER NOT NULL,
    started_at INTEGER,
    ended_at INTEGER,
    meta TEXT
  );
  CREATE INDEX runs_unfinished ON runs (status) WHERE status IN ('accepted', 'streaming');
  `,
  // System events (webhook wakes, hook run summaries) join the transcript: SQLite cannot widen a CHECK in
  // place, so the table is rebuilt with its rows and ids.
  `
  CREATE TABLE messages_v2 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    run_id TEXT,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    text TEXT NOT NULL,
    state TEXT NOT NULL,
    ts INTEGER NOT NULL
  );
  INSERT INTO messages_v2 (id, session_id, run_id, role, text, state, ts)
    SELECT id, session_id, run_id, role, text, state, ts FROM messages;
  DROP TABLE messages;
  ALTER TABLE messages_v2 RENAME TO messages;
  CREATE INDEX messages_by_session ON messages (session_id, id);
  `,
  // A one-row table the store's write probe updates (health and /readyz reflect whether the store takes writes).
  `
  CREATE TABLE store_probe (id INTEGER PRIMARY KEY CHECK (id = 1), checked_at INTEGER NOT NULL);
  `,
  // Channel traffic: where each message came from or went to, each session's last channel chat, DM pairing.
  `
  ALTER TABLE messages ADD COLUMN channel TEXT;
  ALTER TABLE messages ADD COLUMN account_id TEXT;
  ALTER TABLE messages ADD COLUMN peer TEXT;
  ALTER TABLE sessions ADD COLUMN last_channel TEXT;
  ALTER TABLE sessions ADD COLUMN last_account_id TEXT;
  ALTER TABLE sessions ADD COLUMN last_to TEXT;
  CREATE TABLE channel_pairing_requests (
    channel TEXT NOT NULL,
    account_id TEXT NOT NULL,
    code TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    sender_name TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (channel, code)
  );
  CREATE TABLE channel_allow_from (
    channel TEXT NOT NULL,
    account_id TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    approved_at INTEGER NOT NULL,
    PRIMARY KEY (channel, account_id, sender_id)
  );
  `,
  // Device pairing: paired devices with their approved roles and scopes, pending requests, and one
  // token per device and role, kept only as a SHA-256 hash.
  `
  CREATE TABLE paired_devices (
    device_id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    roles TEXT NOT NULL,
    scopes TEXT NOT NULL,
    client_id TEXT,
    client_mode TEXT,
    platform TEXT,
    device_family TEXT,
    display_name TEXT,
    remote_ip TEXT,
    paired_at INTEGER NOT NULL,
    last_seen_at INTEGER
  );
  CREATE TABLE device_pairing_requests (
    request_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL UNIQUE,
    public_key TEXT NOT NULL,
    role TEXT NOT NULL,
    scopes TEXT NOT NULL,
    client_id TEXT,
    client_mode TEXT,
    platform TEXT,
    device_family TEXT,
    display_name TEXT,
    remote_ip TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE TABLE device_tokens (
    device_id TEXT NOT NULL,
    role TEXT NOT NULL,
    token_hash TEXT,
    scopes TEXT NOT NULL,
    issued_at INTEGER,
    claim_pending INTEGER NOT NULL DEFAULT 0,
    revoked_at INTEGER,
    last_used_at INTEGER,
    PRIMARY KEY (device_id, role)
  );
  `,
];

/** Brings the schema up to date, one transaction per version; refuses a schema newer than this code. */
export function migrate(db: Database.Database): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
  );
  const applied =
    (db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number | null }).v ?? 0;
  if (applied > MIGRATIONS.length) {
    throw new Error(`schema version ${applied} is newer than this gateway knows (${MIGRATIONS.length})`);
  }
  MIGRATIONS.slice(applied).forEach((sql, index) => {
    db.transaction(() => {
      db.exec(sql);
      db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(
        applied + index + 1,
        Date.now(),
      );
    })();
  });
}
