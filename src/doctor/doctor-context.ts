import path from "node:path";
import { explainAuthFailure } from "../client/auth-failure.js";
import { resolveCliTarget, type CliTarget, type TargetFlags } from "../client/cli-target.js";
import { portFromEnv } from "../config/gateway-port.js";
import { readRuntimeRecord, runtimeRecordUrl, type GatewayRuntimeRecord } from "../host/runtime-record.js";
import { readConfigSnapshot, type ConfigSnapshot } from "../config/load.js";
import {
  cliCommand,
  resolveConfigPath,
  resolveHomeDir,
  resolveLogDir,
  resolveStateDir,
  type Env,
} from "../config/paths.js";
import { writeConfigFile } from "../config/write.js";
import { resolvePort } from "../host/launch.js";
import { probeGatewayRpc, type RpcProbeResult } from "../service/rpc-probe.js";
import { resolveServiceManager } from "../service/resolve-service-manager.js";
import type { ServiceDefinition, ServiceManager } from "../service/service-manager.js";

export interface DoctorContextOptions {
  env: Env;
  platform: NodeJS.Platform;
  deep: boolean;
  generateGatewayToken: boolean;
  probeTimeoutMs: number;
  /** Where to look (`--url`, `--port`) and with which credentials; empty = the CLI's defaults. */
  target: TargetFlags;
}

/** The calls one probe connection makes: `status` says whose gateway it is, `health` how it is. */
const PROBE_CALLS = [{ method: "status" }, { method: "health" }];

/**
 * What every check reads: the instance's paths, the config as it is now (re-read after a repair
 * wrote it), the installed service and one cached RPC probe per URL.
 */
export class DoctorContext {
  readonly env: Env;
  readonly platform: NodeJS.Platform;
  readonly deep: boolean;
  readonly generateGatewayToken: boolean;
  readonly probeTimeoutMs: number;
  readonly target: TargetFlags;
  readonly home: string;
  readonly configPath: string;
  readonly stateDir: string;
  private current: ConfigSnapshot;
  private manager: ServiceManager | null = null;
  private definition: Promise<ServiceDefinition | null> | null = null;
  private readonly probes = new Map<string, Promise<RpcProbeResult>>();

  constructor(options: DoctorContextOptions) {
    this.env = options.env;
    this.platform = options.platform;
    this.deep = options.deep;
    this.generateGatewayToken = options.generateGatewayToken;
    this.probeTimeoutMs = options.probeTimeoutMs;
    this.target = options.target;
    this.home = resolveHomeDir(this.env);
    this.configPath = resolveConfigPath(this.env);
    this.stateDir = resolveStateDir(this.env);
    this.current = readConfigSnapshot(this.configPath);
  }

  get snapshot(): ConfigSnapshot {
    return this.current;
  }

  reloadConfig(): ConfigSnapshot {
    this.current = readConfigSnapshot(this.configPath);
    return this.current;
  }

  /** The running gateway of this config, from its runtime record (null when none runs). */
  runtime(): GatewayRuntimeRecord | null {
    return readRuntimeRecord(this.configPath);
  }

  /** `--port`, else where this config's gateway runs (its record), else where it would: env, config, default. */
  port(): number {
    if (this.target.port !== undefined) return this.target.port;
    const record = this.runtime();
    if (record && portFromEnv(this.env) === undefined) return record.port;
    return this.configuredPort();
  }

  /** Where this config's gateway listens when started without `--port`: env, config, default. */
  configuredPort(): number {
    return resolvePort(
      undefined,
      this.env,
      this.current.exists ? this.current.config.gateway.port : undefined,
    );
  }

  /** `coderclaw ...` with the profile flag in force, for hints. */
  command(rest: string): string {
    return cliCommand(rest, this.env);
  }

  /** Writes the whole config atomically (with `.bak`) and re-reads it. */
  writeConfig(next: Record<string, unknown>): void {
    writeConfigFile(this.configPath, next, {
      auditLogPath: path.join(resolveLogDir(this.stateDir), "config-audit.jsonl"),
      source: "doctor",
    });
    this.reloadConfig();
  }

  serviceManager(): ServiceManager {
    this.manager ??= resolveServiceManager({ env: this.env, platform: this.platform });
    return this.manager;
  }

  serviceDefinition(): Promise<ServiceDefinition | null> {
    this.definition ??= this.serviceManager().readDefinition();
    return this.definition;
  }

  /** After a repair rewrote the unit. */
  forgetService(): void {
    this.manager = null;
    this.definition = null;
  }

  localUrl(): string {
    const record = this.runtime();
    return record?.port === this.port()
      ? runtimeRecordUrl(record)
      : `${this.current.config.gateway.tls.enabled ? "wss" : "ws"}://127.0.0.1:${this.port()}`;
  }

  /** The gateway on this host's port, with the local credentials (flag > env > config, as the gateway picks). */
  probeLocal(): Promise<RpcProbeResult> {
    const target = resolveCliTarget({ ...this.target, url: undefined, port: this.port() }, this.env);
    return this.probe(this.localUrl(), target);
  }

  /** The gateway the CLI talks to (remote mode included), with the CLI's credentials. */
  probeTarget(): { url: string; result: Promise<RpcProbeResult> } {
    const target = resolveCliTarget(this.target, this.env);
    return { url: target.url, result: this.probe(target.url, target) };
  }

  private probe(url: string, target: CliTarget): Promise<RpcProbeResult> {
    const { token, password, tlsFingerprint } = target;
    const key = `${url}\n${token ?? ""}\n${password ?? ""}\n${tlsFingerprint ?? ""}`;
    let probe = this.probes.get(key);
    if (!probe) {
      probe = probeGatewayRpc({
        url,
        ...(token ? { token } : {}),
        ...(password ? { password } : {}),
        ...(tlsFingerprint ? { tlsFingerprint } : {}),
        timeoutMs: this.probeTimeoutMs,
        calls: PROBE_CALLS,
        explainError: (message) => explainAuthFailure(message, target),
      });
      this.probes.set(key, probe);
    }
    return probe;
  }
}
