import { SimulatedClock, createActor } from "xstate";
import {
  NO_TIMEOUT_MS,
  runMachine,
  type RunOutput,
  type StopReason,
} from "../../src/machines/run.machine.js";
import { ActionLog, PromiseFake, flush, stopAllActors, track, valueOf } from "./support.js";

afterEach(stopAllActors);

const RUN_ID = "run-1";
const START = { type: "START" } as const;
const abort = (reason: Exclude<StopReason, "timeout" | "provider">) => ({ type: "ABORT", reason }) as const;

/** The run machine with a fake provider, recorded actions and a simulated clock; `timeoutMs` 0 means none. */
function startRun(timeoutMs = 0) {
  const clock = new SimulatedClock();
  const log = new ActionLog();
  const provider = new PromiseFake<unknown, { runId: string }>();
  const machine = runMachine.provide({
    actors: { provider: provider.logic },
    actions: {
      announceStreaming: log.record("announceStreaming"),
      finishRun: log.record("finishRun"),
    },
  });
  const actor = track(createActor(machine, { clock, input: { runId: RUN_ID, timeoutMs } }));
  actor.start();
  return { clock, log, provider, actor };
}

type Run = ReturnType<typeof startRun>;

function streamingRun(timeoutMs = 0): Run {
  const r = startRun(timeoutMs);
  r.actor.send(START);
  expect(valueOf(r.actor)).toBe("streaming");
  return r;
}

/** The run is done with this output, and finishRun reported exactly that, once. */
function expectFinished(r: Run, state: "ok" | "error", output: RunOutput) {
  const snapshot = r.actor.getSnapshot();
  expect(snapshot.value).toBe(state);
  expect(snapshot.status).toBe("done");
  expect(snapshot.output).toEqual(output);
  expect(r.log.of("finishRun")).toEqual([{ runId: RUN_ID, ...output }]);
}

describe("run machine", () => {
  describe("accepted", () => {
    it("waits in accepted for START without invoking the provider or starting the timeout", () => {
      const r = startRun(1_000);
      expect(valueOf(r.actor)).toBe("accepted");

      r.clock.increment(10_000);

      expect(valueOf(r.actor)).toBe("accepted");
      expect(r.provider.calls).toHaveLength(0);
      expect(r.log.calls).toEqual([]);
    });

    it("announces streaming and invokes the provider with its runId on START", () => {
      const r = streamingRun();

      expect(r.log.calls).toEqual([{ type: "announceStreaming", params: { runId: RUN_ID } }]);
      expect(r.provider.inputs()).toEqual([{ runId: RUN_ID }]);
    });

    it.each(["rpc", "stop", "interrupted"] as const)(
      "ends in error with stop reason %s on ABORT in accepted, never invoking the provider",
      async (reason) => {
        const r = startRun(1_000);
        r.actor.send(abort(reason));
        await flush();

        expectFinished(r, "error", { status: "error", stopReason: reason, error: `aborted (${reason})` });
        expect(r.provider.calls).toHaveLength(0);
        expect(r.log.count("announceStreaming")).toBe(0);

        r.actor.send(START);
        r.clock.increment(10_000);
        expect(r.provider.calls).toHaveLength(0);
        expect(r.log.count("finishRun")).toBe(1);
      },
    );
  });

  describe("streaming", () => {
    it("ends ok when the provider resolves and finishes the run once with status ok", async () => {
      const r = streamingRun();
      r.provider.last.deferred.resolve({ text: "hello" });
      await flush();

      expectFinished(r, "ok", { status: "ok", stopReason: null, error: null });
      expect(r.log.types()).toEqual(["announceStreaming", "finishRun"]);
    });

    it("ends in error with stop reason provider and the error's message when the provider rejects", async () => {
      const r = streamingRun();
      r.provider.last.deferred.reject(new Error("model overloaded"));
      await flush();

      expectFinished(r, "error", { status: "error", stopReason: "provider", error: "model overloaded" });
      expect(r.log.types()).toEqual(["announceStreaming", "finishRun"]);
    });

    it("keeps the string form of a provider rejection that is not an Error", async () => {
      const r = streamingRun();
      r.provider.last.deferred.reject("socket hang up");
      await flush();

      expectFinished(r, "error", { status: "error", stopReason: "provider", error: "socket hang up" });
    });

    it("ends in error on ABORT in streaming and aborts the provider's signal", async () => {
      const r = streamingRun();
      const { signal } = r.provider.last;
      expect(signal.aborted).toBe(false);

      r.actor.send(abort("rpc"));

      expect(signal.aborted).toBe(true);
      expectFinished(r, "error", { status: "error", stopReason: "rpc", error: "aborted (rpc)" });
    });

    it("ignores a provider result that arrives after an abort", async () => {
      const r = streamingRun();
      r.actor.send(abort("stop"));
      r.provider.last.deferred.resolve({ text: "too late" });
      await flush();

      expectFinished(r, "error", { status: "error", stopReason: "stop", error: "aborted (stop)" });
    });

    it("ignores START and ABORT once the run has finished", async () => {
      const r = streamingRun();
      r.provider.last.deferred.resolve(undefined);
      await flush();

      r.actor.send(START);
      r.actor.send(abort("interrupted"));
      expectFinished(r, "ok", { status: "ok", stopReason: null, error: null });
      expect(r.provider.calls).toHaveLength(1);
      expect(r.log.count("announceStreaming")).toBe(1);
    });
  });

  describe("timeout", () => {
    it("times out a 1000 ms run at 1000 ms, not at 999, and aborts the provider", async () => {
      const r = streamingRun(1_000);

      r.clock.increment(999);
      expect(valueOf(r.actor)).toBe("streaming");
      expect(r.log.count("finishRun")).toBe(0);

      r.clock.increment(1);
      expect(r.provider.last.signal.aborted).toBe(true);
      expectFinished(r, "error", { status: "error", stopReason: "timeout", error: "timed out after 1000ms" });

      r.provider.last.deferred.resolve("too late");
      await flush();
      expect(r.log.count("finishRun")).toBe(1);
    });

    it("counts the timeout from START, not from acceptance", () => {
      const r = startRun(1_000);
      r.clock.increment(5_000);
      r.actor.send(START);

      r.clock.increment(999);
      expect(valueOf(r.actor)).toBe("streaming");
      r.clock.increment(1);
      expect(valueOf(r.actor)).toBe("error");
    });

    it("never times out a run whose timeoutMs is 0, even after a very large increment", async () => {
      const r = streamingRun(0);

      // Just under setTimeout's ceiling (~24.8 days), which stands in for "no timeout".
      r.clock.increment(NO_TIMEOUT_MS - 1);
      expect(valueOf(r.actor)).toBe("streaming");
      expect(r.log.count("finishRun")).toBe(0);
      expect(r.provider.last.signal.aborted).toBe(false);

      r.provider.last.deferred.resolve("done");
      await flush();
      expectFinished(r, "ok", { status: "ok", stopReason: null, error: null });
    });

    it("clamps a timeout beyond setTimeout's ceiling to the ceiling", () => {
      const r = streamingRun(3_000_000_000);

      r.clock.increment(NO_TIMEOUT_MS - 1);
      expect(valueOf(r.actor)).toBe("streaming");

      r.clock.increment(1);
      expectFinished(r, "error", {
        status: "error",
        stopReason: "timeout",
        error: "timed out after 3000000000ms",
      });
    });

    it("cancels the timeout when the provider finishes first", async () => {
      const r = streamingRun(1_000);
      r.clock.increment(500);
      r.provider.last.deferred.resolve("done");
      await flush();

      r.clock.increment(10_000);
      expectFinished(r, "ok", { status: "ok", stopReason: null, error: null });
    });

    it("cancels the timeout when the run is aborted first", () => {
      const r = streamingRun(1_000);
      r.clock.increment(500);
      r.actor.send(abort("interrupted"));

      r.clock.increment(10_000);
      expectFinished(r, "error", {
        status: "error",
        stopReason: "interrupted",
        error: "aborted (interrupted)",
      });
    });
  });

  describe("finishing", () => {
    const paths: Array<[string, (r: Run) => Promise<void> | void, "ok" | "error", RunOutput]> = [
      [
        "provider resolves",
        (r) => {
          r.actor.send(START);
          r.provider.last.deferred.resolve("done");
        },
        "ok",
        { status: "ok", stopReason: null, error: null },
      ],
      [
        "provider rejects",
        (r) => {
          r.actor.send(START);
          r.provider.last.deferred.reject(new Error("boom"));
        },
        "error",
        { status: "error", stopReason: "provider", error: "boom" },
      ],
      [
        "aborted while accepted",
        (r) => r.actor.send(abort("stop")),
        "error",
        { status: "error", stopReason: "stop", error: "aborted (stop)" },
      ],
      [
        "aborted while streaming",
        (r) => {
          r.actor.send(START);
          r.actor.send(abort("rpc"));
        },
        "error",
        { status: "error", stopReason: "rpc", error: "aborted (rpc)" },
      ],
      [
        "timed out",
        (r) => {
          r.actor.send(START);
          r.clock.increment(1_000);
        },
        "error",
        { status: "error", stopReason: "timeout", error: "timed out after 1000ms" },
      ],
    ];

    it.each(paths)(
      "finishes the run exactly once with the machine's output when %s",
      async (_path, drive, state, output) => {
        const r = startRun(1_000);
        await drive(r);
        await flush();

        expectFinished(r, state, output);

        // Nothing that could still happen re-finishes it.
        for (const call of r.provider.calls) if (!call.deferred.settled) call.deferred.resolve("late");
        r.actor.send(abort("interrupted"));
        r.clock.increment(10_000);
        await flush();
        expect(r.log.count("finishRun")).toBe(1);
      },
    );
  });
});
