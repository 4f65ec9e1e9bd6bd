import { createActor } from "xstate";
import type { GatewayOutput } from "../../src/machines/gateway.machine.js";
import { flush, gatewayFakes, stopAllActors, track, valueOf } from "./support.js";

afterEach(stopAllActors);

const BUDGET = { deadlineMs: 5_000, drainMs: 3_000, closeWaitMs: 2_000 };
const STOP = { type: "DRAIN", reason: "SIGTERM", restartExpectedMs: null, budget: BUDGET } as const;
const RESTART = { type: "DRAIN", reason: "config change", restartExpectedMs: 1_500, budget: BUDGET } as const;

function startGateway() {
  const fakes = gatewayFakes();
  const actor = track(createActor(fakes.machine));
  actor.start();
  return { ...fakes, actor };
}

async function readyGateway() {
  const g = startGateway();
  g.startServer.last.deferred.resolve();
  await flush();
  expect(valueOf(g.actor)).toBe("ready");
  return g;
}

describe("gateway machine", () => {
  it("starts the server, then announces ready and starts the background services", async () => {
    const g = startGateway();
    expect(valueOf(g.actor)).toBe("starting");
    expect(g.startServer.calls).toHaveLength(1);
    expect(g.log.types()).toEqual([]);
    expect(g.services.starts).toHaveLength(0);

    g.startServer.last.deferred.resolve();
    await flush();

    expect(valueOf(g.actor)).toBe("ready");
    expect(g.log.types()).toEqual(["announceReady"]);
    expect(g.services.running).toBe(1);
  });

  it("ends failed with failedWhile 'starting' and the error when the server cannot start", async () => {
    const g = startGateway();
    g.startServer.last.deferred.reject(new Error("listen EADDRINUSE 127.0.0.1:18789"));
    await flush();

    const snapshot = g.actor.getSnapshot();
    expect(snapshot.value).toBe("failed");
    expect(snapshot.status).toBe("done");
    expect(snapshot.output).toEqual<GatewayOutput>({
      status: "failed",
      failedWhile: "starting",
      error: "Error: listen EADDRINUSE 127.0.0.1:18789",
    });
    expect(g.log.calls).toEqual([
      {
        type: "announceStopped",
        params: { error: "Error: listen EADDRINUSE 127.0.0.1:18789", failedWhile: "starting" },
      },
    ]);
    expect(g.services.starts).toHaveLength(0);
  });

  it("drains runs on DRAIN, closes the server with the same request, then stops", async () => {
    const g = await readyGateway();
    g.actor.send(RESTART);

    expect(valueOf(g.actor)).toBe("draining");
    expect(g.log.of("announceDraining")).toEqual([
      { reason: "config change", restartExpectedMs: 1_500, budget: BUDGET },
    ]);
    expect(g.drainRuns.inputs()).toEqual([
      { reason: "config change", restartExpectedMs: 1_500, budget: BUDGET },
    ]);
    expect(g.closeServer.calls).toHaveLength(0);

    g.drainRuns.last.deferred.resolve();
    await flush();
    expect(valueOf(g.actor)).toBe("closing");
    expect(g.closeServer.inputs()).toEqual([
      { reason: "config change", restartExpectedMs: 1_500, budget: BUDGET },
    ]);

    g.closeServer.last.deferred.resolve();
    await flush();
    const snapshot = g.actor.getSnapshot();
    expect(snapshot.value).toBe("stopped");
    expect(snapshot.status).toBe("done");
    expect(snapshot.output).toEqual<GatewayOutput>({ status: "stopped", failedWhile: null, error: null });
    expect(g.log.types()).toEqual(["announceReady", "announceDraining", "announceStopped"]);
    expect(g.log.of("announceStopped")).toEqual([{ error: null, failedWhile: null }]);
  });

  it("stops the background services when leaving ready", async () => {
    const g = await readyGateway();
    expect(g.services.running).toBe(1);

    g.actor.send(STOP);

    expect(g.services.stops).toBe(1);
    expect(g.services.running).toBe(0);
  });

  it("honours a DRAIN that arrives while starting as soon as the server is ready", async () => {
    const g = startGateway();
    g.actor.send(STOP);
    expect(valueOf(g.actor)).toBe("starting");
    expect(g.drainRuns.calls).toHaveLength(0);

    g.startServer.last.deferred.resolve();
    await flush();

    expect(valueOf(g.actor)).toBe("draining");
    expect(g.log.types()).toEqual(["announceReady", "announceDraining"]);
    expect(g.drainRuns.inputs()).toEqual([{ reason: "SIGTERM", restartExpectedMs: null, budget: BUDGET }]);
    expect(g.services.running).toBe(0);
  });

  it("closes the server even when draining fails", async () => {
    const g = await readyGateway();
    g.actor.send(STOP);
    g.drainRuns.last.deferred.reject(new Error("drain deadline"));
    await flush();

    expect(valueOf(g.actor)).toBe("closing");
    expect(g.closeServer.inputs()).toEqual([{ reason: "SIGTERM", restartExpectedMs: null, budget: BUDGET }]);
    g.closeServer.last.deferred.resolve();
    await flush();
    expect(g.actor.getSnapshot().output).toEqual({ status: "stopped", failedWhile: null, error: null });
  });

  it("keeps the first request when a second DRAIN arrives while draining", async () => {
    const g = await readyGateway();
    g.actor.send(RESTART);
    g.actor.send(STOP);
    g.drainRuns.last.deferred.resolve();
    await flush();

    expect(g.drainRuns.calls).toHaveLength(1);
    expect(g.closeServer.inputs()).toEqual([
      { reason: "config change", restartExpectedMs: 1_500, budget: BUDGET },
    ]);
  });

  it("closes the server on FAULT in ready and ends failed with failedWhile 'running'", async () => {
    const g = await readyGateway();
    g.actor.send({ type: "FAULT", error: "tick loop crashed", budget: BUDGET });

    expect(valueOf(g.actor)).toBe("closing");
    expect(g.services.running).toBe(0);
    expect(g.drainRuns.calls).toHaveLength(0);
    expect(g.closeServer.inputs()).toEqual([
      { reason: "gateway failed", restartExpectedMs: null, budget: BUDGET },
    ]);

    g.closeServer.last.deferred.resolve();
    await flush();
    const snapshot = g.actor.getSnapshot();
    expect(snapshot.value).toBe("failed");
    expect(snapshot.output).toEqual<GatewayOutput>({
      status: "failed",
      failedWhile: "running",
      error: "tick loop crashed",
    });
    expect(g.log.of("announceStopped")).toEqual([{ error: "tick loop crashed", failedWhile: "running" }]);
  });

  it("still ends failed after a FAULT when closing the server fails", async () => {
    const g = await readyGateway();
    g.actor.send({ type: "FAULT", error: "tick loop crashed", budget: BUDGET });
    g.closeServer.last.deferred.reject(new Error("close failed"));
    await flush();

    expect(g.actor.getSnapshot().output).toEqual({
      status: "failed",
      failedWhile: "running",
      error: "tick loop crashed",
    });
  });
});
