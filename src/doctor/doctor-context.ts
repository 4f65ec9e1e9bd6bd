import path from "node:path";
import { resolveCliTarget } from "../client/cli-target.js";
import { pinFor } from "../client/local-tls.js";
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
import {
  resolveServiceManager,
  type ServiceDefinition,
  type ServiceManager,
} from "../service/service-manager.js";

export interface DoctorContextOptions {
  env: Env;
  platform: NodeJS.Platform;
  deep: boolean;
  generateGatewayToken: boolean;
  probeTimeoutMs: number;
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

  /** The port `coderclaw gateway` would use here: env, then config, then the default. */
  port(): number {
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
    return `${this.current.config.gateway.tls.enabled ? "wss" : "ws"}://127.0.0.1:${this.port()}`;
  }

  /** The gateway on this host's port, with the secret it checks (config first, then env, like the server). */
  probeLocal(): Promise<RpcProbeResult> {
    const auth = this.current.config.gateway.auth;
    const token = auth.token ?? this.env.CODERCLAW_GATEWAY_TOKEN?.trim();
    const password = auth.password ?? this.env.CODERCLAW_GATEWAY_PASSWORD?.trim();
    const url = this.localUrl();
    return this.probe(
      url,
      token || undefined,
      password || undefined,
      pinFor(url, this.current, true, this.env),
    );
  }

  /** The gateway the CLI talks to (remote mode included), with the CLI's credentials. */
  probeTarget(): { url: string; result: Promise<RpcProbeResult> } {
    const target = resolveCliTarget({}, this.env);
    return {
      url: target.url,
      result: this.probe(target.url, target.token, target.password, target.tlsFingerprint),
    };
  }

  private probe(
    url: string,
    token: string | undefined,
    password: string | undefined,
    tlsFingerprint: string | undefined,
  ): Promise<RpcProbeResult> {
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
      });
      this.probes.set(key, probe);
    }
    return probe;
  }
}
