import type { InspectionEvent } from "xstate";
import type { CoderclawConfig } from "../config/schema.js";
import type { GatewayLogger, SubsystemLogger } from "../log/logger.js";
import { CHANNEL_ACTOR_PREFIX, ChannelAccountRuntime } from "./account-runtime.js";
import type { ChannelAccountSnapshot, ChannelsStatus } from "./account-snapshot.js";
import { ChannelHealthMonitor } from "./health-monitor.js";
import type { AnyChannelPlugin, ChannelTarget, InboundMessage } from "./types.js";

export interface ChannelManagerOptions {
  config: CoderclawConfig;
  env: NodeJS.ProcessEnv;
  plugins: readonly AnyChannelPlugin[];
  logger: GatewayLogger;
  inspect?: (event: InspectionEvent) => void;
  /** Where received messages go (access check, routing, run, reply). */
  onInbound(account: ChannelAccountRuntime, message: InboundMessage): void;
  /** Overrides of the account machine's delays (tests). */
  delays?: { stopTimeout?: number; stableAfter?: number };
}

/**
 * How long a gateway stop waits for replies still being delivered (runs were drained before): the
 * supervisor's stop deadline is 5 s. A reply cut short is still whole in the transcript.
 */
const IN_FLIGHT_WAIT_MS = 1_500;

export class ChannelError extends Error {
  constructor(
    readonly code: "UNKNOWN_CHANNEL" | "UNKNOWN_ACCOUNT" | "NOT_RUNNING",
    message: string,
  ) {
    super(message);
  }
}

/**
 * Every channel account of one gateway: one account machine each (`channel:<id>:<account>` in the
 * actor tree), started with the gateway, restarted per channel on a config change, probed for status,
 * watched by the health monitor, and stopped after in-flight replies are delivered.
 */
export class ChannelManager {
  private readonly accounts = new Map<string, ChannelAccountRuntime[]>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly log: SubsystemLogger;
  private readonly health: ChannelHealthMonitor;
  private config: CoderclawConfig;
  private stopping = false;

  constructor(private readonly options: ChannelManagerOptions) {
    this.config = options.config;
    this.log = options.logger.child("channels");
    this.health = new ChannelHealthMonitor({
      intervalMs: () => this.config.gateway.channelHealthCheckMinutes * 60_000,
      accounts: () => [...this.accounts.values()].flat(),
      log: this.log,
    });
  }

  get plugins(): readonly AnyChannelPlugin[] {
    return this.options.plugins;
  }

  start(): void {
    for (const plugin of this.options.plugins) this.startChannel(plugin);
    this.health.start();
  }

  private startChannel(plugin: AnyChannelPlugin): void {
    const { env } = this.options;
    const runtimes = plugin.config.listAccountIds(this.config, env).map(
      (accountId) =>
        new ChannelAccountRuntime({
          plugin,
          account: plugin.config.resolveAccount(this.config, accountId, env),
          cfg: this.config,
          env,
          log: this.options.logger.child(plugin.id),
          inspect: this.options.inspect,
          delays: this.options.delays,
          inbound: (runtime, message) => this.options.onInbound(runtime, message),
        }),
    );
    this.accounts.set(plugin.id, runtimes);
    for (const runtime of runtimes) runtime.start();
  }

  private async stopChannel(channelId: string): Promise<void> {
    const runtimes = this.accounts.get(channelId) ?? [];
    this.accounts.delete(channelId);
    for (const runtime of runtimes) runtime.send({ type: "STOP" });
    await Promise.all(runtimes.map((runtime) => runtime.stopped()));
    for (const runtime of runtimes) runtime.actor.stop();
  }

  /** A config change: the channels whose prefixes it touches restart with the new config. */
  async applyConfig(config: CoderclawConfig, changedPaths: readonly string[]): Promise<void> {
    this.config = config;
    const touched = this.options.plugins.filter((plugin) =>
      changedPaths.some((changed) =>
        plugin.reload.configPrefixes.some(
          (prefix) =>
            changed === prefix || changed.startsWith(`${prefix}.`) || prefix.startsWith(`${changed}.`),
        ),
      ),
    );
    for (const plugin of touched) {
      try {
        await this.reconfigure(plugin.id);
      } catch (error) {
        this.log.error(`restarting channel ${plugin.id} failed: ${(error as Error).message}`);
      }
    }
  }

  /** Restarts only this channel's accounts, from the current config. */
  async reconfigure(channelId: string): Promise<void> {
    const plugin = this.options.plugins.find((candidate) => candidate.id === channelId);
    if (!plugin || this.stopping) return;
    this.log.info(`restarting channel ${channelId} (config changed)`);
    await this.stopChannel(channelId);
    if (!this.stopping) this.startChannel(plugin);
  }

  account(channelId: string, accountId?: string): ChannelAccountRuntime {
    const plugin = this.options.plugins.find((candidate) => candidate.id === channelId);
    if (!plugin) throw new ChannelError("UNKNOWN_CHANNEL", `unknown channel: ${channelId}`);
    const id = accountId ?? plugin.config.defaultAccountId(this.config, this.options.env);
    const runtime = this.accounts.get(channelId)?.find((candidate) => candidate.accountId === id);
    if (!runtime) throw new ChannelError("UNKNOWN_ACCOUNT", `unknown ${channelId} account: ${id}`);
    return runtime;
  }

  /** Splits a reply with the channel's chunker and sends the chunks in order. */
  async deliver(target: ChannelTarget, text: string): Promise<number> {
    const runtime = this.account(target.channel, target.accountId);
    const connection = runtime.live;
    if (!connection)
      throw new ChannelError("NOT_RUNNING", `${target.channel}:${target.accountId} is not running`);
    const { outbound } = runtime.plugin;
    const chunks = outbound.chunker(text, outbound.textChunkLimit, target.to, runtime.account);
    for (const chunk of chunks) {
      await connection.sendText(target.to, chunk);
      runtime.lastOutboundAt = Date.now();
    }
    return chunks.length;
  }

  /**
   * Delivers a run's reply once it is final; a gateway stop waits for it. A reply that cannot be
   * delivered is still in the transcript; the failure is logged.
   */
  deliverReply(
    target: ChannelTarget,
    reply: Promise<{ text: string; status: string; error?: string | null }>,
  ): void {
    const label = `${target.channel}:${target.accountId}`;
    void this.track(
      (async () => {
        const row = await reply;
        if (row.text.trim() === "") {
          if (row.status !== "ok")
            this.log.warn(`[${label}] no reply to ${target.to}: ${row.error ?? row.status}`);
          return;
        }
        try {
          await this.deliver(target, row.text);
        } catch (error) {
          this.log.warn(`[${label}] reply to ${target.to} not delivered: ${(error as Error).message}`);
        }
      })(),
    );
  }

  /** The config the channels run with (replaced on every reload). */
  get currentConfig(): CoderclawConfig {
    return this.config;
  }

  /** Work a gateway stop waits for (a reply being produced or delivered). */
  track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  async logout(channelId: string, accountId?: string): Promise<{ cleared: boolean; loggedOut: boolean }> {
    const runtime = this.account(channelId, accountId);
    runtime.send({ type: "STOP" });
    await runtime.stopped();
    const result = (await runtime.plugin.gateway.logout?.(runtime.account, this.options.env)) ?? {
      cleared: false,
    };
    return { cleared: result.cleared, loggedOut: true };
  }

  /** Each channel with at least one account, in plugin order, and its accounts as they are now (no probe). */
  accountsNow(): { id: string; label: string; accounts: ChannelAccountSnapshot[] }[] {
    const channels = [];
    for (const plugin of this.options.plugins) {
      const runtimes = this.accounts.get(plugin.id);
      if (!runtimes || runtimes.length === 0) continue;
      channels.push({
        id: plugin.id,
        label: plugin.meta.label,
        accounts: runtimes.map((runtime) => runtime.snapshot()),
      });
    }
    return channels;
  }

  async status(probe: boolean, timeoutMs: number): Promise<ChannelsStatus> {
    const plugins = this.options.plugins;
    const channelAccounts: Record<string, ChannelAccountSnapshot[]> = {};
    const channels: ChannelsStatus["channels"] = {};
    const channelDefaultAccountId: Record<string, string> = {};
    await Promise.all(
      plugins.map(async (plugin) => {
        const runtimes = this.accounts.get(plugin.id) ?? [];
        if (probe) {
          const probed = runtimes.filter(
            (runtime) =>
              plugin.config.isEnabled(runtime.account) && plugin.config.isConfigured(runtime.account),
          );
          await Promise.all(probed.map((runtime) => runtime.runProbe(timeoutMs)));
        }
        const snapshots = runtimes.map((runtime) => runtime.snapshot());
        channelAccounts[plugin.id] = snapshots;
        channels[plugin.id] = {
          configured: snapshots.some((snapshot) => snapshot.configured),
          running: snapshots.some((snapshot) => snapshot.running),
          connected: snapshots.some((snapshot) => snapshot.connected),
        };
        channelDefaultAccountId[plugin.id] = plugin.config.defaultAccountId(this.config, this.options.env);
      }),
    );
    return {
      ts: Date.now(),
      channelOrder: plugins.map((plugin) => plugin.id),
      channelLabels: Object.fromEntries(plugins.map((plugin) => [plugin.id, plugin.meta.label])),
      channelDetailLabels: Object.fromEntries(
        plugins.map((plugin) => [plugin.id, plugin.meta.detailLabel ?? plugin.meta.label]),
      ),
      channelSystemImages: {},
      channelMeta: plugins.map((plugin) => ({
        id: plugin.id,
        label: plugin.meta.label,
        detailLabel: plugin.meta.detailLabel ?? plugin.meta.label,
      })),
      channels,
      channelAccounts,
      channelDefaultAccountId,
    };
  }

  /** Gateway stop: replies in flight are delivered (or time out), then every account stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.health.stop();
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        new Promise((resolve) => (timer = setTimeout(resolve, IN_FLIGHT_WAIT_MS))),
      ]);
      clearTimeout(timer);
    }
    await Promise.all([...this.accounts.keys()].map((channelId) => this.stopChannel(channelId)));
  }

  /** `channel:<id>:<account>` of every account, for logs and tests. */
  actorIds(): string[] {
    return [...this.accounts.values()]
      .flat()
      .map((r) => `${CHANNEL_ACTOR_PREFIX}${r.channel}:${r.accountId}`);
  }
}
