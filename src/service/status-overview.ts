import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AgentDirectory } from "../agents/agent-directory.js";
import type { ChannelsStatus } from "../channels/account-snapshot.js";
import { explainAuthFailure } from "../client/auth-failure.js";
import { resolveCliTarget, type TargetFlags } from "../client/cli-target.js";
import type { ConfigIssue } from "../config/config-issue.js";
import { readConfigSnapshot } from "../config/load.js";
import { resolveConfigPath, resolveStateDir, type Env } from "../config/paths.js";
import { StateStore } from "../store/state-store.js";
import { probeGatewayRpc } from "./rpc-probe.js";
import { resolveServiceManager } from "./resolve-service-manager.js";
import type { ServiceRuntime } from "./service-manager.js";
import { redactUrl } from "../config/redact.js";
import type { HeartbeatSummary } from "../state/heartbeat.js";

export interface StatusOptions {
  env?: Env;
  timeoutMs: number;
  all: boolean;
  deep: boolean;
  /** `--url`/`--port`/`--token`/`--password`; otherwise the running gateway, env and config decide. */
  target?: TargetFlags;
}

export interface AgentSummary {
  id: string;
  name?: string;
  default: boolean;
  model?: string;
}

/** REFERENCE §1.11 `coderclaw status --json`, limited to what this gateway has. */
export interface StatusOverview {
  /** The config this CLI read; when invalid, the defaults stood in for it everywhere below. */
  config: { path: string; exists: boolean; valid: boolean; issues: ConfigIssue[] };
  os: { platform: string; release: string; arch: string; node: string };
  gateway: {
    mode: "local" | "remote";
    url: string;
    urlSource: string;
    misconfigured: boolean;
    reachable: boolean;
    connectLatencyMs: number | null;
    self: { host?: string; version?: string; platform?: string; pid?: number; state?: string } | null;
    error: string | null;
    auth: "token" | "password" | "token+password" | "none";
    /** wss: the certificate fingerprint the gateway reports, else the one this CLI pins; null for ws. */
    tlsFingerprint: string | null;
  };
  gatewayService: {
    label: string;
    installed: boolean;
    loaded: boolean;
    loadedText: string;
    managerAvailable: boolean;
    managerDetail?: string;
    runtime?: ServiceRuntime;
  };
  agents: { source: "gateway" | "config"; defaultId: string; agents: AgentSummary[] };
  sessions: { count: number | null; path: string; error?: string };
  channels: {
    accounts: number;
    running: number;
    source: "gateway" | "none";
    list: ChannelAccountLine[];
  };
  heartbeat: HeartbeatSummary | null;
  health?: unknown;
  lastHeartbeat?: unknown;
}

/** One channel account as `coderclaw status` lists it. */
export interface ChannelAccountLine {
  channel: string;
  label: string;
  accountId: string;
  enabled: boolean;
  configured: boolean;
  running: boolean;
  connected: boolean;
  lastError: string | null;
}

interface StatusPayload {
  gateway?: {
    host?: string;
    version?: string;
    platform?: string;
    pid?: number;
    state?: string;
    tls?: { fingerprint?: string | null };
  };
  heartbeat?: HeartbeatSummary;
}

interface AgentsPayload {
  defaultId?: string;
  agents?: Array<{ id: string; name?: string; default?: boolean; model?: string }>;
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}

function localSessions(env: Env): StatusOverview["sessions"] {
  const file = path.join(resolveStateDir(env), "state.db");
  // The gateway creates the store on its first start; until then there are simply no sessions.
  if (!fs.existsSync(file)) return { count: 0, path: file };
  let store: StateStore | null = null;
  try {
    store = StateStore.openReadOnly(file);
    return { count: store.counts().sessions, path: file };
  } catch (error) {
    return { count: null, path: file, error: firstLine((error as Error).message) };
  } finally {
    store?.close();
  }
}

/**
 * `coderclaw status`: one probe of the gateway this CLI targets (health, status, agents, channels),
 * falling back to the config and the state database when it is unreachable. Never throws for an
 * unreachable gateway.
 */
export async function gatherStatusOverview(options: StatusOptions): Promise<StatusOverview> {
  const env = options.env ?? process.env;
  const snapshot = readConfigSnapshot(resolveConfigPath(env));
  const target = resolveCliTarget(options.target ?? {}, env);
  const mode = snapshot.config.gateway.mode === "remote" ? "remote" : "local";
  const misconfigured = mode === "remote" && !snapshot.config.gateway.remote.url;
  const probeTimeout = Math.min(options.all ? 5_000 : 2_500, options.timeoutMs);
  const calls = [
    { method: "health", params: options.deep ? { probe: true } : {} },
    { method: "status" },
    { method: "agents.list" },
    { method: "channels.status", params: { probe: false } },
    ...(options.deep ? [{ method: "last-heartbeat" }] : []),
  ];
  const manager = resolveServiceManager({ env });
  const [probe, availability, definition] = await Promise.all([
    probeGatewayRpc({
      url: target.url,
      ...(target.token ? { token: target.token } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(target.tlsFingerprint ? { tlsFingerprint: target.tlsFingerprint } : {}),
      timeoutMs: probeTimeout,
      calls,
      explainError: (message) => explainAuthFailure(message, target),
    }),
    manager.availability(),
    manager.readDefinition(),
  ]);
  const loaded = availability.available ? await manager.isLoaded() : false;
  const installed = definition !== null || loaded;
  const runtime = availability.available && installed ? await manager.readRuntime() : undefined;

  const status = probe.results.status as StatusPayload | undefined;
  const agentsPayload = probe.results["agents.list"] as AgentsPayload | undefined;
  const channels = probe.results["channels.status"] as Partial<ChannelsStatus> | undefined;
  const channelList: ChannelAccountLine[] = (channels?.channelOrder ?? []).flatMap((id) =>
    (channels?.channelAccounts?.[id] ?? []).map((account) => ({
      channel: id,
      label: channels?.channelLabels?.[id] ?? id,
      accountId: account.accountId,
      enabled: account.enabled,
      configured: account.configured,
      running: account.running,
      connected: account.connected,
      lastError: account.lastError,
    })),
  );
  const authLabel =
    target.token && target.password
      ? "token+password"
      : target.token
        ? "token"
        : target.password
          ? "password"
          : "none";

  let agents: StatusOverview["agents"];
  if (agentsPayload?.agents) {
    agents = {
      source: "gateway",
      defaultId: agentsPayload.defaultId ?? agentsPayload.agents.find((a) => a.default)?.id ?? "main",
      agents: agentsPayload.agents.map((a) => ({
        id: a.id,
        ...(a.name ? { name: a.name } : {}),
        default: Boolean(a.default),
        ...(a.model ? { model: a.model } : {}),
      })),
    };
  } else {
    const directory = new AgentDirectory(snapshot.config, env);
    agents = {
      source: "config",
      defaultId: directory.defaultAgent.id,
      agents: directory.agents.map((a) => ({
        id: a.id,
        ...(a.name ? { name: a.name } : {}),
        default: a.isDefault,
        model: a.model,
      })),
    };
  }
  const health = probe.results.health as { sessions?: { count?: number; path?: string | null } } | undefined;
  const sessions =
    health?.sessions && typeof health.sessions.count === "number" && health.sessions.path
      ? { count: health.sessions.count, path: health.sessions.path }
      : localSessions(env);

  return {
    config: { path: snapshot.path, exists: snapshot.exists, valid: snapshot.valid, issues: snapshot.issues },
    os: { platform: process.platform, release: os.release(), arch: process.arch, node: process.version },
    gateway: {
      mode,
      url: redactUrl(target.url),
      urlSource: target.urlSource,
      misconfigured,
      reachable: probe.connected,
      connectLatencyMs: probe.connectLatencyMs,
      self: status?.gateway
        ? {
            host: status.gateway.host,
            version: status.gateway.version,
            platform: status.gateway.platform,
            pid: status.gateway.pid,
            state: status.gateway.state,
          }
        : null,
      error: probe.error ? firstLine(probe.error) : null,
      auth: authLabel,
      tlsFingerprint: /^wss:/i.test(target.url)
        ? (status?.gateway?.tls?.fingerprint ?? target.tlsFingerprint ?? null)
        : null,
    },
    gatewayService: {
      label: manager.label,
      installed,
      loaded,
      loadedText: loaded ? manager.loadedText : manager.notLoadedText,
      managerAvailable: availability.available,
      ...(availability.available ? {} : { managerDetail: availability.detail }),
      ...(runtime ? { runtime } : {}),
    },
    agents,
    sessions,
    channels: {
      accounts: channelList.length,
      running: channelList.filter((account) => account.running).length,
      source: channels?.channelAccounts ? "gateway" : "none",
      list: channelList,
    },
    heartbeat: status?.heartbeat ?? null,
    ...(probe.results.health !== undefined ? { health: probe.results.health } : {}),
    ...(options.deep && "last-heartbeat" in probe.results
      ? { lastHeartbeat: probe.results["last-heartbeat"] }
      : {}),
  };
}
