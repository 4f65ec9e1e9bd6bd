/**
 * The run runtime in-process, on a real SQLite file: what happens to a run when one of its machine's
 * actions throws (here: the event sink breaks, as a bug in broadcasting would), and when the database
 * goes away under a running run. The run must end for everyone waiting on it, its session must move
 * on, and the process must not see an unhandled error.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Inspection } from "../src/actors/inspection.js";
import { AgentRuns } from "../src/agents/agent-runs.js";
import type { RunEventSink } from "../src/agents/run-events.js";
import type { AgentEventPayload } from "../src/protocol/run-event-payloads.js";
import { defaultConfig } from "../src/config/load.js";
import type { GatewayLogger } from "../src/log/logger.js";
import { StateStore } from "../src/store/state-store.js";
import { fileLogger, loggedLine } from "./helpers/in-process.js";
import { waitFor } from "./helpers/wait-for.js";

describe("agent runs when something breaks", () => {
  let dir: string;
  let logger: GatewayLogger;
  let store: StateStore;
  let runs: AgentRuns;
  const inspection = new Inspection();
  const events: AgentEventPayload[] = [];
  /** How many `agent` events the sink refuses (throws on) before it works again. */
  let sinkFailures = 0;
  const unhandled: unknown[] = [];
  const onUnhandled = (error: unknown) => unhandled.push(error);

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "coderclaw-runs-"));
    logger = fileLogger(dir);
    store = StateStore.open(path.join(dir, "state.db"));
    const sink: RunEventSink = {
      agent: (payload) => {
        if (sinkFailures > 0) {
          sinkFailures -= 1;
          throw new TypeError("broadcaster is broken");
        }
        events.push(payload);
      },
      chat: () => {},
    };
    const config = defaultConfig();
    runs = new AgentRuns({
      config,
      store,
      events: sink,
      log: logger.child("agent"),
      inspect: inspection.inspect,
    });
    events.length = 0;
    unhandled.length = 0;
    process.on("uncaughtException", onUnhandled);
  });

  afterEach(async () => {
    try {
      await runs.drain(1_000);
      runs.stop();
      store.close();
      // xstate reports an unhandled actor error on a timer: give it the chance to show up.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("uncaughtException", onUnhandled);
      await logger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** Waits until the file transport has written a log line whose message contains `text`. */
  const logged = (text: string) => loggedLine(dir, (entry) => String(entry.message).includes(text));

  const start = (idempotencyKey: string, message = "hello there") =>
    runs.start({ kind: "agent", idempotencyKey, message, sessionKey: "agent:main:main" });

  it("ends a run whose action throws as an error, persists it, and lets the session's next run go", async () => {
    sinkFailures = 1; // the lifecycle start event of the first run
    const first = start("r-broken");
    const second = start("r-next");

    const failed = await first.done;
    expect(failed).toMatchObject({ runId: "r-broken", status: "error", stopReason: null });
    expect(failed.error).toBe("internal error: broadcaster is broken");
    expect(store.getRun("r-broken")).toMatchObject({
      status: "error",
      error: "internal error: broadcaster is broken",
    });

    const next = await second.done;
    expect(next).toMatchObject({ runId: "r-next", status: "ok", text: "hello there" });
    expect(events.filter((e) => e.runId === "r-next").map((e) => e.data.phase ?? "delta")).toContain("end");
    expect(runs.activeCount).toBe(0);

    // The failed actor is gone from the live tree; the runs' parent is still there.
    const ids = (nodes: ReturnType<Inspection["tree"]>): string[] =>
      nodes.flatMap((node) => [node.id, ...ids(node.children)]);
    expect(ids(inspection.tree())).toContain("runs");
    expect(ids(inspection.tree())).not.toContain("run:r-broken");
    await logged("run r-broken failed: broadcaster is broken");
  });

  it("ends a run for everyone waiting on it when the database goes away under it, as interrupted (its end is not saved)", async () => {
    const started = start("r-lost", "one two three four five six");
    const waiting = runs.wait("r-lost", 5_000);
    // The database disappears mid-run: once the first word has streamed, before the last.
    await waitFor("the first streamed word of r-lost", () =>
      events.some((e) => e.runId === "r-lost" && e.stream === "assistant") ? true : undefined,
    );
    store.close();

    const row = await started.done;
    expect(row).toMatchObject({ runId: "r-lost", status: "error", stopReason: "interrupted" });
    expect(row.error).toMatch(/^interrupted: the end of the run could not be saved \(.*\); retry$/);
    expect(await waiting).toEqual(row);
    expect(runs.activeCount).toBe(0);
    expect(events.filter((e) => e.runId === "r-lost").at(-1)?.data).toMatchObject({ phase: "error" });
    await logged("could not save the end of run r-lost");
  });
});
