/**
 * Fakes shared by the machine specifications: deferred promises the test settles by hand, a recorder
 * for the actions a machine asks the runtime to perform, and a registry that stops every actor a test
 * created (each test file calls `afterEach(stopAllActors)`).
 */
import { SimulatedClock, fromCallback, fromPromise, createActor } from "xstate";
import {
  channelAccountMachine,
  type ChannelAccountEvent,
  type ChannelAccountReadiness,
} from "../../src/machines/channel.machine.js";
import type { AnyActorRef } from "xstate";
import {
  connectionMachine,
  type AuthenticateInput,
  type AuthenticatedSession,
  type ConnectionEvent,
} from "../../src/machines/connection.machine.js";
import { gatewayMachine, type DrainRequest, type GatewayEvent } from "../../src/machines/gateway.machine.js";

export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
  settled: boolean;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const d: Deferred<T> = {
    promise,
    settled: false,
    resolve: (value) => {
      d.settled = true;
      resolve(value);
    },
    reject: (error) => {
      d.settled = true;
      reject(error);
    },
  };
  return d;
}

/** Lets settled promises propagate through fromPromise actors to their parents (microtasks only, no timers). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

export interface ActionCall {
  type: string;
  params: unknown;
}

/** Records every action the machine asks for, in order. */
export class ActionLog {
  readonly calls: ActionCall[] = [];

  record(type: string): (_: unknown, params?: unknown) => void {
    return (_: unknown, params?: unknown) => {
      this.calls.push({ type, params });
    };
  }

  types(): string[] {
    return this.calls.map((c) => c.type);
  }

  of(type: string): unknown[] {
    return this.calls.filter((c) => c.type === type).map((c) => c.params);
  }

  count(type: string): number {
    return this.of(type).length;
  }
}

const liveActors = new Set<AnyActorRef>();

/** Registers an actor so `stopAllActors` stops it after the test. */
export function track<T extends AnyActorRef>(actor: T): T {
  liveActors.add(actor);
  return actor;
}

export function stopAllActors(): void {
  for (const actor of liveActors) actor.stop();
  liveActors.clear();
}

/** A fake fromPromise actor: each invocation is recorded with its input and a deferred the test settles. */
export class PromiseFake<TOutput, TInput> {
  readonly calls: Array<{ input: TInput; deferred: Deferred<TOutput>; signal: AbortSignal }> = [];
  /** When set, every new invocation settles immediately with this. */
  autoResolve: { value: TOutput } | null = null;

  readonly logic = fromPromise<TOutput, TInput>(({ input, signal }) => {
    const d = deferred<TOutput>();
    this.calls.push({ input, deferred: d, signal });
    if (this.autoResolve) d.resolve(this.autoResolve.value);
    return d.promise;
  });

  get last(): { input: TInput; deferred: Deferred<TOutput>; signal: AbortSignal } {
    const call = this.calls[this.calls.length - 1];
    if (!call) throw new Error("the actor was never invoked");
    return call;
  }

  inputs(): TInput[] {
    return this.calls.map((c) => c.input);
  }
}

/** A fake fromCallback actor that records starts and cleanups and exposes `sendBack` while running. */
export class CallbackFake<TEvent extends { type: string }, TInput> {
  readonly starts: TInput[] = [];
  stops = 0;
  private senders: Array<(event: TEvent) => void> = [];

  readonly logic = fromCallback<TEvent, TInput>(({ input, sendBack }) => {
    this.starts.push(input);
    const sender = (event: TEvent) => sendBack(event);
    this.senders.push(sender);
    return () => {
      this.stops++;
      this.senders = this.senders.filter((s) => s !== sender);
    };
  });

  get running(): number {
    return this.starts.length - this.stops;
  }

  sendBack(event: TEvent): void {
    const sender = this.senders[this.senders.length - 1];
    if (!sender) throw new Error("the callback actor is not running");
    sender(event);
  }
}

/**
 * Stands in for the runtime's `authenticate` action: records each request, and answers the
 * connection (AUTHENTICATED / AUTH_FAILED) when the test settles that request's deferred.
 */
export class AuthenticateFake {
  readonly calls: Array<{ input: AuthenticateInput; deferred: Deferred<AuthenticatedSession> }> = [];
  target: AnyActorRef | null = null;

  readonly action = (_: unknown, input: AuthenticateInput): void => {
    const d = deferred<AuthenticatedSession>();
    this.calls.push({ input, deferred: d });
    const answer = (event: ConnectionEvent) => {
      // The runtime cannot reach a connection that is gone either.
      if (this.target?.getSnapshot().status === "active") this.target.send(event);
    };
    d.promise.then(
      (session) => answer({ type: "AUTHENTICATED", requestId: input.requestId, session }),
      (error: unknown) => answer({ type: "AUTH_FAILED", error }),
    );
  };

  get last(): { input: AuthenticateInput; deferred: Deferred<AuthenticatedSession> } {
    const call = this.calls[this.calls.length - 1];
    if (!call) throw new Error("authenticate was never asked for");
    return call;
  }

  inputs(): AuthenticateInput[] {
    return this.calls.map((c) => c.input);
  }
}

/**
 * Stands in for the keepalive sweep: records the `watchPeer`/`unwatchPeer` actions of a connection
 * and, while the peer is watched, reports events to it as the sweep would.
 */
export class KeepaliveFake {
  readonly starts: Array<{ connId: string }> = [];
  stops = 0;
  target: { send(event: ConnectionEvent): void } | null = null;

  readonly watchPeer = (_: unknown, params: { connId: string }): void => {
    this.starts.push(params);
  };

  readonly unwatchPeer = (): void => {
    this.stops++;
  };

  get running(): number {
    return this.starts.length - this.stops;
  }

  sendBack(event: ConnectionEvent): void {
    if (this.running <= 0 || !this.target) throw new Error("the peer is not watched");
    this.target.send(event);
  }
}

export type DeadlineKind = "handshake" | "closeGrace";

/**
 * Stands in for the runtime's deadline queues: records when the machine starts and stops each
 * deadline, and lets the test make a running one run out (the runtime's HANDSHAKE_TIMEOUT /
 * CLOSE_GRACE_ELAPSED). When a deadline runs out is the queue's business, tested on its own.
 */
export class DeadlinesFake {
  /** `start handshake`, `stop handshake`, `start closeGrace`, … in order. */
  readonly log: string[] = [];
  private readonly running = new Set<DeadlineKind>();
  target: { send(event: ConnectionEvent): void } | null = null;

  private start(kind: DeadlineKind): () => void {
    return () => {
      this.log.push(`start ${kind}`);
      this.running.add(kind);
    };
  }

  private stop(kind: DeadlineKind): () => void {
    return () => {
      this.log.push(`stop ${kind}`);
      this.running.delete(kind);
    };
  }

  readonly actions = {
    startHandshakeDeadline: this.start("handshake"),
    stopHandshakeDeadline: this.stop("handshake"),
    startCloseGrace: this.start("closeGrace"),
    stopCloseGrace: this.stop("closeGrace"),
  };

  isRunning(kind: DeadlineKind): boolean {
    return this.running.has(kind);
  }

  /** The deadlines that are running, sorted. */
  runningNow(): DeadlineKind[] {
    return [...this.running].sort();
  }

  /** Runs the deadline out, as the queue would; only a running deadline can. */
  expire(kind: DeadlineKind): void {
    if (!this.running.has(kind) || !this.target) throw new Error(`the ${kind} deadline is not running`);
    this.running.delete(kind);
    this.target.send({ type: kind === "handshake" ? "HANDSHAKE_TIMEOUT" : "CLOSE_GRACE_ELAPSED" });
  }
}

/** The connection machine with fake implementations and an unstarted actor. */
export function connectionHarness(connId = "conn-1") {
  const log = new ActionLog();
  const authenticate = new AuthenticateFake();
  const keepalive = new KeepaliveFake();
  const deadlines = new DeadlinesFake();
  const machine = connectionMachine.provide({
    actions: {
      authenticate: authenticate.action,
      sendChallenge: log.record("sendChallenge"),
      sendHelloOk: log.record("sendHelloOk"),
      watchPeer: keepalive.watchPeer,
      unwatchPeer: keepalive.unwatchPeer,
      sendRejection: log.record("sendRejection"),
      closeSocket: log.record("closeSocket"),
      terminateSocket: log.record("terminateSocket"),
      releaseConnection: log.record("releaseConnection"),
      ...deadlines.actions,
    },
  });
  const actor = track(createActor(machine, { input: connId }));
  authenticate.target = actor;
  keepalive.target = actor;
  deadlines.target = actor;
  return { connId, log, authenticate, keepalive, deadlines, machine, actor };
}

/** Fakes for every implementation the gateway machine needs. */
export function gatewayFakes() {
  const log = new ActionLog();
  const startServer = new PromiseFake<void, void>();
  const services = new CallbackFake<GatewayEvent, unknown>();
  const drainRuns = new PromiseFake<void, DrainRequest>();
  const closeServer = new PromiseFake<void, DrainRequest>();
  const machine = gatewayMachine.provide({
    actors: {
      startServer: startServer.logic,
      services: services.logic,
      drainRuns: drainRuns.logic,
      closeServer: closeServer.logic,
    },
    actions: {
      announceReady: log.record("announceReady"),
      announceDraining: log.record("announceDraining"),
      announceStopped: log.record("announceStopped"),
    },
  });
  return { log, startServer, services, drainRuns, closeServer, machine };
}

/** State value of a machine actor, for readable assertions. */
export function valueOf(actor: { getSnapshot(): { value: unknown } }): unknown {
  return actor.getSnapshot().value;
}

/** The account machine with fake start/stop/watch actors, recorded actions and a simulated clock. */
export function channelHarness(readiness: ChannelAccountReadiness = "enabled", random = () => 0.5) {
  const clock = new SimulatedClock();
  const log = new ActionLog();
  const startAccount = new PromiseFake<void, { attempt: number }>();
  const stopAccount = new PromiseFake<void, unknown>();
  const watchConnection = new CallbackFake<ChannelAccountEvent, unknown>();
  const machine = channelAccountMachine.provide({
    actors: {
      startAccount: startAccount.logic,
      stopAccount: stopAccount.logic,
      watchConnection: watchConnection.logic,
    },
    actions: {
      announceRunning: log.record("announceRunning"),
      announceFailure: log.record("announceFailure"),
      announceRestart: log.record("announceRestart"),
      announceStopTimeout: log.record("announceStopTimeout"),
      abandonTransport: log.record("abandonTransport"),
      announceStopped: log.record("announceStopped"),
    },
  });
  const actor = track(
    createActor(machine, {
      clock,
      input: { channel: "irc", accountId: "default", readiness, reason: `${readiness} reason`, random },
    }),
  );
  actor.start();
  return { clock, log, startAccount, stopAccount, watchConnection, actor };
}
