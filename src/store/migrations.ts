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
];
