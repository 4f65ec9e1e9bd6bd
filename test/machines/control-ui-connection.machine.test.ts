import { SimulatedClock, createActor } from "xstate";
import {
  backoffDelay,
  CONNECT_STEP_TIMEOUT_MS,
  controlUiConnectionMachine,
  GAP_NOTICE_MS,
  type Secret,
} from "../../ui/src/connection/connection.machine.js";

const TOKEN: Secret = { kind: "token", value: "tok" };
const UNAUTHORIZED = {
  type: "CONNECT_REFUSED",
  error: {
    code: "INVALID_REQUEST",
    message: "unauthorized: gateway token mismatch (enter the gateway token …)",
  },
} as const;

const actors: Array<{ stop(): void }> = [];
afterEach(() => actors.splice(0).forEach((actor) => actor.stop()));

/** The browser connection machine with recording actions and a simulated clock. */
function harness(secret: Secret | null = TOKEN) {
  const calls: Array<{ type: string; params?: unknown }> = [];
  const record = (type: string) => (_: unknown, params?: unknown) =>
    calls.push(params === undefined ? { type } : { type, params });
  const clock = new SimulatedClock();
  const actor = createActor(
    controlUiConnectionMachine.provide({
      actions: {
        openSocket: record("openSocket"),
        closeSocket: record("closeSocket"),
        sendConnect: record("sendConnect"),
        storeSecret: record("storeSecret"),
        forgetSecret: record("forgetSecret"),
        announceConnected: record("announceConnected"),
        resync: record("resync"),
      },
    }),
    { input: { secret }, clock },
  );
  actors.push(actor);
  actor.start();
  const state = () => actor.getSnapshot().value;
  const types = () => calls.map((call) => call.type);
  const connect = () => {
    actor.send({ type: "SOCKET_OPENED" });
    actor.send({ type: "HELLO" });
  };
  return { actor, clock, calls, state, types, connect };
}

describe("Control UI connection machine", () => {
  it("with a stored secret opens the socket, sends connect with it, and announces the connection on hello", () => {
    const h = harness();
    expect(h.state()).toBe("connecting");
    h.actor.send({ type: "SOCKET_OPENED" });
    expect(h.state()).toBe("authenticating");
    expect(h.calls).toContainEqual({ type: "sendConnect", params: { secret: TOKEN } });
    h.actor.send({ type: "HELLO" });
    expect(h.state()).toEqual({ connected: "live" });
    expect(h.types()).toEqual(["openSocket", "sendConnect", "announceConnected"]);
  });

  it("without a secret waits signed out and opens nothing until one is entered", () => {
    const h = harness(null);
    expect(h.state()).toBe("signed-out");
    expect(h.types()).toEqual([]);
    h.actor.send({ type: "SIGN_IN", secret: { kind: "password", value: "pw" } });
    expect(h.state()).toBe("connecting");
    expect(h.calls).toContainEqual({
      type: "storeSecret",
      params: { secret: { kind: "password", value: "pw" } },
    });
  });

  it("drops a refused secret and asks again instead of retrying it (no loop)", () => {
    const h = harness();
    h.actor.send({ type: "SOCKET_OPENED" });
    h.actor.send(UNAUTHORIZED);
    expect(h.state()).toBe("signed-out");
    expect(h.actor.getSnapshot().context.secret).toBeNull();
    expect(h.actor.getSnapshot().context.notice?.kind).toBe("auth-refused");
    expect(h.types()).toEqual(["openSocket", "sendConnect", "closeSocket", "forgetSecret"]);
    // The close that follows the refusal and any time passing change nothing.
    h.actor.send({ type: "SOCKET_CLOSED", code: 1008, reason: "unauthorized" });
    h.clock.increment(60_000);
    expect(h.state()).toBe("signed-out");
    expect(h.types().filter((type) => type === "openSocket")).toHaveLength(1);
  });

  it("tells a rate-limited sign-in apart from a wrong secret", () => {
    const h = harness();
    h.actor.send({ type: "SOCKET_OPENED" });
    h.actor.send({
      type: "CONNECT_REFUSED",
      error: {
        code: "INVALID_REQUEST",
        message: "unauthorized: too many failed authentication attempts (retry later)",
      },
    });
    expect(h.state()).toBe("signed-out");
    expect(h.actor.getSnapshot().context.notice?.kind).toBe("rate-limited");
  });

  it("an origin refusal waits for the user (retry or another secret), it does not retry by itself", () => {
    const h = harness();
    h.actor.send({ type: "SOCKET_OPENED" });
    h.actor.send({
      type: "CONNECT_REFUSED",
      error: {
        code: "INVALID_REQUEST",
        message: "origin not allowed (open the Control UI from the gateway host …)",
      },
    });
    expect(h.state()).toBe("refused");
    expect(h.actor.getSnapshot().context.notice?.kind).toBe("origin-refused");
    expect(h.actor.getSnapshot().context.secret).toEqual(TOKEN);
    h.clock.increment(60_000);
    expect(h.state()).toBe("refused");
    h.actor.send({ type: "RETRY" });
    expect(h.state()).toBe("connecting");
  });

  it("reconnects with backoff 800 ms × 1.7 up to 15 s after the socket drops, and resets it on hello", () => {
    expect([0, 1, 2, 3, 10].map(backoffDelay)).toEqual([800, 1360, 2312, 3930, 15_000]);
    const h = harness();
    h.connect();
    h.actor.send({ type: "SOCKET_CLOSED", code: 1006, reason: "" });
    expect(h.state()).toBe("reconnecting");
    expect(h.actor.getSnapshot().context.notice).toEqual({
      kind: "disconnected",
      message: "disconnected (1006)",
    });
    h.clock.increment(799);
    expect(h.state()).toBe("reconnecting");
    h.clock.increment(1);
    expect(h.state()).toBe("connecting");
    h.actor.send({ type: "SOCKET_CLOSED", code: 1006, reason: "" });
    h.clock.increment(1359);
    expect(h.state()).toBe("reconnecting");
    h.clock.increment(1);
    expect(h.state()).toBe("connecting");
    h.connect();
    expect(h.actor.getSnapshot().context).toMatchObject({ attempt: 0, notice: null });
    h.actor.send({ type: "SOCKET_CLOSED", code: 1006, reason: "" });
    h.clock.increment(800);
    expect(h.state()).toBe("connecting");
  });

  it("close 1012 reads as a gateway restart, not an error, and reconnects", () => {
    const h = harness();
    h.connect();
    h.actor.send({ type: "SOCKET_CLOSED", code: 1012, reason: "gateway restarting" });
    expect(h.actor.getSnapshot().context.notice).toEqual({
      kind: "restarting",
      message: "gateway restarting",
    });
    h.clock.increment(800);
    h.connect();
    expect(h.types().filter((type) => type === "announceConnected")).toHaveLength(2);
  });

  it("a refusal that is not about the secret (gateway starting) keeps it and retries", () => {
    const h = harness();
    h.actor.send({ type: "SOCKET_OPENED" });
    h.actor.send({
      type: "CONNECT_REFUSED",
      error: { code: "UNAVAILABLE", message: "gateway starting; retry shortly" },
    });
    expect(h.state()).toBe("reconnecting");
    expect(h.actor.getSnapshot().context.secret).toEqual(TOKEN);
    h.clock.increment(800);
    expect(h.state()).toBe("connecting");
  });

  it("a new secret replaces the old one from any state; signing out forgets it", () => {
    const h = harness();
    h.connect();
    const next: Secret = { kind: "token", value: "new" };
    h.actor.send({ type: "SIGN_IN", secret: next });
    expect(h.state()).toBe("connecting");
    expect(h.calls.slice(-3)).toEqual([
      { type: "closeSocket" },
      { type: "storeSecret", params: { secret: next } },
      { type: "openSocket" },
    ]);
    h.actor.send({ type: "SIGN_OUT" });
    expect(h.state()).toBe("signed-out");
    expect(h.actor.getSnapshot().context.secret).toBeNull();
    expect(h.types().slice(-2)).toEqual(["closeSocket", "forgetSecret"]);
  });

  it("missed events re-read everything shown (once per gap) and say so for a while, without reconnecting", () => {
    const h = harness();
    h.connect();
    h.actor.send({ type: "EVENTS_MISSED", gap: { expected: 6, received: 7 } });
    expect(h.state()).toEqual({ connected: "resynced" });
    expect(h.actor.getSnapshot().context.gap).toEqual({ expected: 6, received: 7 });
    expect(h.types()).toEqual(["openSocket", "sendConnect", "announceConnected", "resync"]);
    // A second gap re-reads again and keeps the notice up for another full period.
    h.clock.increment(GAP_NOTICE_MS - 1);
    h.actor.send({ type: "EVENTS_MISSED", gap: { expected: 9, received: 12 } });
    h.clock.increment(GAP_NOTICE_MS - 1);
    expect(h.state()).toEqual({ connected: "resynced" });
    expect(h.actor.getSnapshot().context.gap).toEqual({ expected: 9, received: 12 });
    h.clock.increment(1);
    expect(h.state()).toEqual({ connected: "live" });
    expect(h.types().filter((type) => type === "resync")).toHaveLength(2);
    expect(h.types().filter((type) => type === "openSocket")).toHaveLength(1);
    // A new connection numbers its events afresh: the old gap is not shown for it.
    h.actor.send({ type: "EVENTS_MISSED", gap: { expected: 20, received: 21 } });
    h.actor.send({ type: "SOCKET_CLOSED", code: 4000, reason: "tick timeout" });
    expect(h.actor.getSnapshot().context).toMatchObject({
      gap: null,
      notice: { kind: "disconnected", message: "disconnected (4000: tick timeout)" },
    });
  });

  it("a socket that never opens, or never answers connect, is given up after 10 s and retried with backoff", () => {
    const h = harness();
    h.clock.increment(CONNECT_STEP_TIMEOUT_MS - 1);
    expect(h.state()).toBe("connecting");
    h.clock.increment(1);
    expect(h.state()).toBe("reconnecting");
    expect(h.actor.getSnapshot().context.notice).toEqual({
      kind: "disconnected",
      message: "connect timed out",
    });
    expect(h.types()).toEqual(["openSocket", "closeSocket"]);
    h.clock.increment(backoffDelay(0));
    expect(h.state()).toBe("connecting");
    h.actor.send({ type: "SOCKET_OPENED" });
    h.clock.increment(CONNECT_STEP_TIMEOUT_MS);
    expect(h.state()).toBe("reconnecting");
    h.clock.increment(backoffDelay(1));
    h.connect();
    // Once connected, no step timer is left to fire.
    h.clock.increment(10 * CONNECT_STEP_TIMEOUT_MS);
    expect(h.state()).toEqual({ connected: "live" });
    expect(h.types().filter((type) => type === "openSocket")).toHaveLength(3);
  });
});
