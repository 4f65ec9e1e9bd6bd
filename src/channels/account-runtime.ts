import { createActor, fromCallback, fromPromise, type Actor, type InspectionEvent } from "xstate";
import type { CoderclawConfig } from "../config/schema.js";
import type { SubsystemLogger } from "../log/logger.js";
import {
  channelAccountMachine,
  type ChannelAccountEvent,
  type ChannelAccountReadiness,
} from "../machines/channel.machine.js";
import type { ChannelAccountSnapshot } from "./account-snapshot.js";
import type {
  AnyChannelPlugin,
  ChannelAccount,
  ChannelConnection,
  ChannelRuntimeStatus,
  InboundMessage,
  ProbeResult,
} from "./types.js";

export const CHANNEL_ACTOR_PREFIX = "channel:";

export interface AccountRuntimeOptions {
  plugin: AnyChannelPlugin;
  account: ChannelAccount;
  cfg: CoderclawConfig;
  env: NodeJS.ProcessEnv;
  log: SubsystemLogger;
  /** The inspection stream the actor reports to. */
  inspect?: (event: InspectionEvent) => void;
  inbound(runtime: ChannelAccountRuntime, message: InboundMessage): void;
  /** Overrides of the machine's delays (tests). */
  delays?: { stopTimeout?: number; stableAfter?: number };
}

function readinessOf(plugin: AnyChannelPlugin, account: ChannelAccount): [ChannelAccountReadiness, string?] {
  if (!plugin.config.isEnabled(account))
    return ["disabled", plugin.config.disabledReason?.(account) ?? "disabled"];
  if (!plugin.config.isConfigured(account))
    return ["unconfigured", plugin.config.unconfiguredReason?.(account) ?? "not configured"];
  return ["enabled"];
}

/**
 * One account of one channel at run time: its machine, the transport of the current attempt, and the
 * facts its status shows. Every attempt gets its own AbortController; abandoning an attempt aborts it,
 * so a wedged transport is never reused.
 */
export class ChannelAccountRuntime {
  readonly actor: Actor<typeof channelAccountMachine>;
  readonly channel: string;
  readonly accountId: string;
  private connection: ChannelConnection | null = null;
  private attempt: AbortController | null = null;
  private runtimeStatus: ChannelRuntimeStatus = {};
  private nextAttemptAt: number | null = null;
  private lastStartAt: number | null = null;
  private lastStopAt: number | null = null;
  lastInboundAt: number | null = null;
  lastOutboundAt: number | null = null;
  private probe: { result: ProbeResult; at: number } | null = null;
  private readonly label: string;

  constructor(private readonly options: AccountRuntimeOptions) {
    const { plugin, account, log } = options;
    this.channel = plugin.id;
    this.accountId = account.accountId;
    this.label = `[${plugin.id}:${account.accountId}]`;
    const [readiness, reason] = readinessOf(plugin, account);
    const logic = channelAccountMachine.provide({
      actors: {
        startAccount: fromPromise(({ signal }) => this.open(signal)),
        watchConnection: fromCallback<ChannelAccountEvent>(({ sendBack }) => {
          let current = true;
          void this.connection?.closed.then(({ error }) => {
            if (current) sendBack({ type: "CONNECTION_LOST", error: error ?? "connection closed" });
          });
          return () => {
            current = false;
          };
        }),
        stopAccount: fromPromise(() => this.close()),
      },
      actions: {
        announceRunning: () => log.info(`${this.label} running`),
        announceFailure: (_, { error }) => log.warn(`${this.label} start failed: ${error}`),
        announceRestart: (_, { attempt, delayMs, error }) => {
          this.nextAttemptAt = Date.now() + delayMs;
          this.runtimeStatus = { ...this.runtimeStatus, connected: false };
          log.info(
            `${this.label} auto-restart attempt ${attempt} in ${Math.round(delayMs / 1000)}s${error ? ` (${error})` : ""}`,
          );
        },
        announceStopTimeout: () => log.warn(`${this.label} stop timed out; abandoning its transport`),
        abandonTransport: () => this.abandon(),
        announceStopped: () => {
          this.lastStopAt = Date.now();
          log.info(`${this.label} stopped`);
        },
      },
      delays: options.delays,
    });
    this.actor = createActor(logic, {
      id: `${CHANNEL_ACTOR_PREFIX}${plugin.id}:${account.accountId}`,
      input: { channel: plugin.id, accountId: account.accountId, readiness, reason },
      inspect: options.inspect,
    });
    // A bug in one of the machine's actions ends this account's actor, not the gateway.
    this.actor.subscribe({ error: (error) => log.error(`${this.label} failed: ${String(error)}`) });
  }

  get account(): ChannelAccount {
    return this.options.account;
  }

  get plugin(): AnyChannelPlugin {
    return this.options.plugin;
  }

  start(): void {
    this.actor.start();
  }

  get state(): string {
    const value = this.actor.getSnapshot().value;
    return typeof value === "string" ? value : JSON.stringify(value);
  }

  /** The live connection, when the account is running. */
  get live(): ChannelConnection | null {
    return this.state === "running" ? this.connection : null;
  }

  private async open(signal: AbortSignal): Promise<void> {
    this.abandon();
    const attempt = new AbortController();
    this.attempt = attempt;
    // The machine stops this promise actor when it leaves `starting`: the attempt goes with it.
    signal.addEventListener("abort", () => attempt.abort(), { once: true });
    this.lastStartAt = Date.now();
    this.nextAttemptAt = null;
    const { plugin, account, cfg, env } = this.options;
    const connection = await plugin.gateway.start({
      cfg,
      accountId: account.accountId,
      account,
      abortSignal: attempt.signal,
      log: this.options.log,
      env,
      setStatus: (patch) => {
        if (this.attempt === attempt) this.runtimeStatus = { ...this.runtimeStatus, ...patch };
      },
      getStatus: () => ({ ...this.runtimeStatus }),
      inbound: (message) => {
        if (this.attempt !== attempt) return;
        this.lastInboundAt = Date.now();
        this.options.inbound(this, message);
      },
    });
    if (attempt.signal.aborted) {
      void connection.stop().catch(() => undefined);
      throw new Error("start abandoned");
    }
    this.connection = connection;
    this.runtimeStatus = { ...this.runtimeStatus, connected: true, lastConnectedAt: Date.now() };
  }

  private async close(): Promise<void> {
    const connection = this.connection;
    this.attempt?.abort();
    if (connection) await connection.stop();
    this.connection = null;
  }

  private abandon(): void {
    this.attempt?.abort();
    this.attempt = null;
    const connection = this.connection;
    this.connection = null;
    if (connection) void connection.stop().catch(() => undefined);
    this.runtimeStatus = { ...this.runtimeStatus, connected: false };
  }

  send(event: ChannelAccountEvent): void {
    if (this.actor.getSnapshot().status === "active") this.actor.send(event);
  }

  /** Resolves once the account has come to rest after a STOP (bounded by the machine's stop timeout). */
  stopped(): Promise<void> {
    return new Promise((resolve) => {
      const settled = () => ["stopped", "disabled", "unconfigured"].includes(this.state);
      if (settled() || this.actor.getSnapshot().status !== "active") return resolve();
      const subscription = this.actor.subscribe({
        next: () => {
          if (settled()) {
            subscription.unsubscribe();
            resolve();
          }
        },
        complete: resolve,
        error: () => resolve(),
      });
    });
  }

  async runProbe(timeoutMs: number): Promise<ProbeResult> {
    const { plugin, account } = this.options;
    const live = this.live;
    let result: ProbeResult;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<ProbeResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, error: `probe timed out after ${timeoutMs}ms` }),
        timeoutMs,
      );
    });
    try {
      const probing = plugin.status.probe
        ? plugin.status.probe(account, timeoutMs, live)
        : live?.probe
          ? live.probe(timeoutMs)
          : Promise.resolve<ProbeResult>({ ok: live !== null, ...(live ? {} : { error: "not running" }) });
      result = await Promise.race([probing, deadline]);
    } catch (error) {
      result = { ok: false, error: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
    this.probe = { result, at: Date.now() };
    return result;
  }

  snapshot(): ChannelAccountSnapshot {
    const { plugin, account } = this.options;
    const machine = this.actor.getSnapshot();
    const state = this.state;
    const running = state === "running";
    return {
      ...(plugin.status.buildAccountSnapshot?.(account) ?? {}),
      accountId: account.accountId,
      ...(account.name ? { name: account.name } : {}),
      enabled: plugin.config.isEnabled(account),
      configured: plugin.config.isConfigured(account),
      running,
      connected: running && this.runtimeStatus.connected === true,
      state,
      reconnectAttempts: machine.context.attempt,
      nextAttemptAt: state === "reconnecting" ? this.nextAttemptAt : null,
      lastConnectedAt: this.runtimeStatus.lastConnectedAt ?? null,
      lastDisconnect: this.runtimeStatus.lastDisconnect ?? null,
      lastEventAt: this.runtimeStatus.lastEventAt ?? null,
      lastError: machine.context.lastError ?? machine.context.reason,
      lastStartAt: this.lastStartAt,
      lastStopAt: this.lastStopAt,
      lastInboundAt: this.lastInboundAt,
      lastOutboundAt: this.lastOutboundAt,
      ...(this.runtimeStatus.mode ? { mode: this.runtimeStatus.mode } : {}),
      ...(this.runtimeStatus.self ? { self: this.runtimeStatus.self } : {}),
      dmPolicy: account.access.dmPolicy,
      allowFrom: account.access.allowFrom,
      ...(this.probe ? { probe: this.probe.result, lastProbeAt: this.probe.at } : {}),
    };
  }
}
