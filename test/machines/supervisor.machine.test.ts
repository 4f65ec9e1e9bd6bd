import { SimulatedClock, createActor, type AnyActorRef } from "xstate";
import { supervisorMachine, type SupervisorOutput } from "../../src/machines/supervisor.machine.js";
import { ActionLog, flush, gatewayFakes, stopAllActors, track, valueOf } from "./support.js";

afterEach(stopAllActors);

/** The supervisor whose `gateway` child is the real gateway machine with fake implementations. */
function startSupervisor() {
  const gateway = gatewayFakes();
  const log = new ActionLog();
  const clock = new SimulatedClock();
  const machine = supervisorMachine.provide({
    actors: { gateway: gateway.machine },
    actions: {
      announceSignalIgnored: log.record("announceSignalIgnored"),
      announceRestart: log.record("announceRestart"),
      announceStopTimeout: log.record("announceStopTimeout"),
    },
  });
  const actor = track(createActor(machine, { clock }));
  actor.start();
  const child = () => actor.getSnapshot().children.gateway as AnyActorRef | undefined;
  return { gateway, log, clock, actor, child };
}

type Supervised = ReturnType<typeof startSupervisor>;

async function gatewayReady(s: Supervised) {
  s.gateway.startServer.last.deferred.resolve();
  await flush();
  expect(s.child()?.getSnapshot().value).toBe("ready");
}

/** Lets the current gateway finish its drain and close. */
async function gatewayFinishesShutdown(s: Supervised) {
  s.gateway.drainRuns.last.deferred.resolve();
  await flush();
  s.gateway.closeServer.last.deferred.resolve();
  await flush();
}

/** The running gateway reports a fault through its services, then closes. */
async function gatewayCrashes(s: Supervised, error: string) {
  s.gateway.services.sendBack({ type: "FAULT", error });
  s.gateway.closeServer.last.deferred.resolve();
  await flush();
}

describe("supervisor machine", () => {
  it("starts a gateway and supervises it", async () => {
    const s = startSupervisor();
    expect(valueOf(s.actor)).toEqual({ supervising: "running" });
    expect(s.gateway.startServer.calls).toHaveLength(1);

    await gatewayReady(s);
    expect(s.gateway.log.types()).toEqual(["announceReady"]);
  });

  it("drains the gateway for good on STOP and exits 0 'stopped' once the gateway has stopped", async () => {
    const s = startSupervisor();
    await gatewayReady(s);

    s.actor.send({ type: "STOP", reason: "SIGTERM", signal: "SIGTERM" });

    expect(valueOf(s.actor)).toEqual({ supervising: "stopping" });
    expect(s.child()?.getSnapshot().context.shutdown).toEqual({ reason: "SIGTERM", restartExpectedMs: null });
    expect(s.gateway.drainRuns.inputs()).toEqual([{ reason: "SIGTERM", restartExpectedMs: null }]);

    await gatewayFinishesShutdown(s);

    const snapshot = s.actor.getSnapshot();
    expect(snapshot.status).toBe("done");
    expect(snapshot.value).toBe("stopped");
    expect(snapshot.output).toEqual<SupervisorOutput>({ exitCode: 0, outcome: "stopped", error: null });
    expect(s.gateway.startServer.calls).toHaveLength(1);
  });

  it("drains with the expected downtime on RESTART, then starts a new gateway instance", async () => {
    const s = startSupervisor();
    await gatewayReady(s);
    const first = s.child();

    s.actor.send({ type: "RESTART", reason: "config change", restartExpectedMs: 1_500 });

    expect(valueOf(s.actor)).toEqual({ supervising: "restarting" });
    expect(s.gateway.drainRuns.inputs()).toEqual([{ reason: "config change", restartExpectedMs: 1_500 }]);

    await gatewayFinishesShutdown(s);

    expect(s.gateway.closeServer.inputs()).toEqual([{ reason: "config change", restartExpectedMs: 1_500 }]);
    expect(valueOf(s.actor)).toEqual({ supervising: "running" });
    expect(s.gateway.startServer.calls).toHaveLength(2);
    expect(s.child()).toBeDefined();
    expect(s.child()).not.toBe(first);
    expect(s.child()?.getSnapshot().value).toBe("starting");
    expect(s.log.of("announceRestart")).toEqual([{ crashes: 0 }]);

    await gatewayReady(s);
    expect(s.gateway.log.of("announceReady")).toHaveLength(2);
  });

  it("ignores a second STOP while stopping and announces it with its signal", async () => {
    const s = startSupervisor();
    await gatewayReady(s);
    s.actor.send({ type: "STOP", reason: "SIGTERM", signal: "SIGTERM" });
    s.actor.send({ type: "STOP", reason: "SIGINT", signal: "SIGINT" });

    expect(valueOf(s.actor)).toEqual({ supervising: "stopping" });
    expect(s.log.of("announceSignalIgnored")).toEqual([{ signal: "SIGINT" }]);
    expect(s.gateway.drainRuns.inputs()).toEqual([{ reason: "SIGTERM", restartExpectedMs: null }]);
  });

  /** A supervisor asked to STOP whose gateway drains, then hangs in closing. */
  async function hangInClosing() {
    const s = startSupervisor();
    await gatewayReady(s);
    s.actor.send({ type: "STOP", reason: "SIGTERM", signal: "SIGTERM" });
    s.gateway.drainRuns.last.deferred.resolve();
    await flush();
    expect(s.child()?.getSnapshot().value).toBe("closing");
    return s;
  }

  it("gives up after stopDeadline when the gateway hangs in closing, announcing the stop timeout", async () => {
    const s = await hangInClosing();

    s.clock.increment(4_999);
    expect(valueOf(s.actor)).toEqual({ supervising: "stopping" });
    expect(s.log.count("announceStopTimeout")).toBe(0);

    s.clock.increment(1);
    const snapshot = s.actor.getSnapshot();
    expect(snapshot.value).toBe("timedOut");
    expect(snapshot.status).toBe("done");
    expect(s.log.types()).toEqual(["announceStopTimeout"]);
    // The hung close is abandoned: the gateway child was stopped with the supervisor.
    expect(s.gateway.closeServer.last.signal.aborted).toBe(true);
  });

  it("reports exit code 0 and outcome 'timed-out' when the stop deadline elapses", async () => {
    const s = await hangInClosing();
    s.clock.increment(5_000);

    expect(s.actor.getSnapshot().output).toEqual<SupervisorOutput>({
      exitCode: 0,
      outcome: "timed-out",
      error: null,
    });
  });

  it("ends failed, without restarting, when the gateway cannot start", async () => {
    const s = startSupervisor();
    s.gateway.startServer.last.deferred.reject(new Error("listen EADDRINUSE 127.0.0.1:18789"));
    await flush();

    const snapshot = s.actor.getSnapshot();
    expect(snapshot.value).toBe("failed");
    expect(snapshot.status).toBe("done");
    expect(snapshot.context.error).toBe("Error: listen EADDRINUSE 127.0.0.1:18789");
    s.clock.increment(60_000);
    expect(s.gateway.startServer.calls).toHaveLength(1);
  });

  it("reports exit code 1 and outcome 'failed' with the error when the gateway cannot start", async () => {
    const s = startSupervisor();
    s.gateway.startServer.last.deferred.reject(new Error("listen EADDRINUSE 127.0.0.1:18789"));
    await flush();

    expect(s.actor.getSnapshot().output).toEqual<SupervisorOutput>({
      exitCode: 1,
      outcome: "failed",
      error: "Error: listen EADDRINUSE 127.0.0.1:18789",
    });
  });

  it("restarts a gateway that faults after ready, after a backoff of 1 s for the first crash and 2 s for the second", async () => {
    const s = startSupervisor();
    await gatewayReady(s);

    await gatewayCrashes(s, "tick loop crashed");
    expect(valueOf(s.actor)).toBe("backoff");
    expect(s.actor.getSnapshot().context).toEqual({ crashes: 1, error: "tick loop crashed" });
    expect(s.log.of("announceRestart")).toEqual([{ crashes: 1 }]);

    s.clock.increment(999);
    expect(valueOf(s.actor)).toBe("backoff");
    expect(s.gateway.startServer.calls).toHaveLength(1);
    s.clock.increment(1);
    expect(valueOf(s.actor)).toEqual({ supervising: "running" });
    expect(s.gateway.startServer.calls).toHaveLength(2);

    await gatewayReady(s);
    await gatewayCrashes(s, "health loop crashed");
    expect(valueOf(s.actor)).toBe("backoff");
    expect(s.log.of("announceRestart")).toEqual([{ crashes: 1 }, { crashes: 2 }]);

    s.clock.increment(1_999);
    expect(valueOf(s.actor)).toBe("backoff");
    expect(s.gateway.startServer.calls).toHaveLength(2);
    s.clock.increment(1);
    expect(valueOf(s.actor)).toEqual({ supervising: "running" });
    expect(s.gateway.startServer.calls).toHaveLength(3);
  });

  it("ends a crash streak once a restarted gateway has stayed up 10 minutes: the next crash waits 1 s again", async () => {
    const s = startSupervisor();
    await gatewayReady(s);
    await gatewayCrashes(s, "tick loop crashed");
    s.clock.increment(1_000);
    await gatewayReady(s);
    await gatewayCrashes(s, "tick loop crashed");
    s.clock.increment(2_000);
    await gatewayReady(s);
    expect(s.actor.getSnapshot().context.crashes).toBe(2);

    s.clock.increment(10 * 60_000 - 1);
    expect(s.actor.getSnapshot().context.crashes).toBe(2);
    s.clock.increment(1);
    expect(s.actor.getSnapshot().context.crashes).toBe(0);

    await gatewayCrashes(s, "health loop crashed");
    expect(s.log.of("announceRestart")).toEqual([{ crashes: 1 }, { crashes: 2 }, { crashes: 1 }]);
    s.clock.increment(999);
    expect(valueOf(s.actor)).toBe("backoff");
    s.clock.increment(1);
    expect(valueOf(s.actor)).toEqual({ supervising: "running" });
  });

  it("stops without starting a new gateway when STOP arrives during the crash backoff", async () => {
    const s = startSupervisor();
    await gatewayReady(s);
    await gatewayCrashes(s, "tick loop crashed");

    s.actor.send({ type: "STOP", reason: "SIGTERM", signal: "SIGTERM" });

    const snapshot = s.actor.getSnapshot();
    expect(snapshot.value).toBe("stopped");
    expect(snapshot.output).toEqual<SupervisorOutput>({
      exitCode: 0,
      outcome: "stopped",
      error: "tick loop crashed",
    });
    s.clock.increment(60_000);
    expect(s.gateway.startServer.calls).toHaveLength(1);
  });

  it("honours a STOP that arrives while the gateway is starting once the gateway is up", async () => {
    const s = startSupervisor();
    s.actor.send({ type: "STOP", reason: "SIGINT", signal: "SIGINT" });
    expect(valueOf(s.actor)).toEqual({ supervising: "stopping" });

    s.gateway.startServer.last.deferred.resolve();
    await flush();
    expect(s.gateway.drainRuns.inputs()).toEqual([{ reason: "SIGINT", restartExpectedMs: null }]);

    await gatewayFinishesShutdown(s);
    expect(s.actor.getSnapshot().output).toEqual({ exitCode: 0, outcome: "stopped", error: null });
  });
});
