import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { MIGRATIONS } from "../src/store/migrations.js";
import { StateStore } from "../src/store/state-store.js";

describe("system events in the transcript", () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-store-"));
    file = path.join(dir, "state.db");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("upgrades a schema-1 database with its messages and ids, then takes system messages", () => {
    const v1 = new Database(file);
    v1.exec(MIGRATIONS[0] as string);
    v1.exec(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);" +
        "INSERT INTO schema_migrations VALUES (1, 0);" +
        "INSERT INTO sessions VALUES ('agent:main:main', 's1', 'main', 1, 1);" +
        "INSERT INTO messages (id, session_id, run_id, role, text, state, ts) VALUES" +
        " (7, 's1', 'r1', 'user', 'hello', 'final', 2), (8, 's1', 'r1', 'assistant', 'hello', 'final', 3);",
    );
    expect(() =>
      v1.exec(
        "INSERT INTO messages (session_id, role, text, state, ts) VALUES ('s1', 'system', 'x', 'final', 4)",
      ),
    ).toThrow(/CHECK/);
    v1.close();

    const store = StateStore.open(file);
    try {
      store.appendSystemEvent("agent:main:main", "main", "unused", "New email received", 5);
      expect(store.history("s1", 10).map(({ id, role, text, runId }) => ({ id, role, text, runId }))).toEqual(
        [
          { id: 7, role: "user", text: "hello", runId: "r1" },
          { id: 8, role: "assistant", text: "hello", runId: "r1" },
          { id: 9, role: "system", text: "New email received", runId: null },
        ],
      );
      expect(store.getSession("agent:main:main")?.updatedAt).toBe(5);
    } finally {
      store.close();
    }
  });

  it("creates the session of a system event that arrives first", () => {
    const store = StateStore.open(file);
    try {
      store.appendSystemEvent("agent:ops:main", "ops", "fresh-id", "deploy finished", 10);
      expect(store.getSession("agent:ops:main")).toMatchObject({ sessionId: "fresh-id", agentId: "ops" });
      expect(store.history("fresh-id", 10).map((m) => [m.role, m.text])).toEqual([
        ["system", "deploy finished"],
      ]);
    } finally {
      store.close();
    }
  });
});
