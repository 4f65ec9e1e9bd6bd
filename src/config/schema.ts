import type convict from "convict";
import { agentList, duration, positiveInt, proxyList, stringList, tlsFingerprint } from "./schema-formats.js";
import type { AuthRateLimitConfig } from "./auth-rate-limit.js";
import {
  DEFAULT_HOOKS_MAX_BODY_BYTES,
  DEFAULT_HOOKS_PATH,
  hookMappingList,
  type HooksConfig,
} from "./hooks-config.js";
import type { ChannelBinding, DmScope } from "./channels.js";
import { DEFAULT_METRICS_PATH, metricsPathProblem } from "./metrics-path.js";
import type { ProvidersConfig } from "./providers.js";
import type { TrustedProxyAuthConfig } from "./trusted-proxy-auth.js";

export type GatewayMode = "local" | "remote";
export type BindMode = "loopback" | "lan" | "tailnet" | "auto" | "custom";
export type AuthMode = "token" | "password" | "trusted-proxy";
export type ReloadMode = "off" | "hot" | "restart" | "hybrid";
export type LogLevel = "error" | "warn" | "info" | "debug" | "trace";

export interface AgentEntry {
  id: string;
  default?: boolean;
  name?: string;
  workspace?: string;
  model?: string;
  [key: string]: unknown;
}

/** The shape of `coderclaw.json` after defaults; `configSchema` below is checked against it by the compiler. */
export interface CoderclawConfig {
  gateway: {
    port: number;
    mode: GatewayMode | null;
    bind: BindMode;
    customBindHost: string | null;
    trustedProxies: string[];
    auth: {
      mode: AuthMode | null;
      token: string | null;
      password: string | null;
      rateLimit: AuthRateLimitConfig | null;
      trustedProxy: TrustedProxyAuthConfig | null;
    };
    controlUi: {
      enabled: boolean;
      basePath: string;
      root: string | null;
      allowedOrigins: string[];
    };
    http: {
      endpoints: {
        chatCompletions: { enabled: boolean };
        responses: { enabled: boolean; maxBodyBytes: number };
      };
    };
    reload: { mode: ReloadMode; debounceMs: number };
    restart: { drainTimeoutMs: number };
    metrics: { enabled: boolean; path: string };
    tls: {
      enabled: boolean;
      autoGenerate: boolean;
      certPath: string | null;
      keyPath: string | null;
      caPath: string | null;
    };
    remote: {
      url: string | null;
      token: string | null;
      password: string | null;
      tlsFingerprint: string | null;
    };
    tickIntervalMs: number;
    handshakeTimeoutMs: number;
    healthRefreshMs: number;
    maxPayloadBytes: number;
    maxBufferedBytes: number;
    channelHealthCheckMinutes: number;
  };
  agents: {
    defaults: {
      workspace: string | null;
      model: string | null;
      timeoutSeconds: number;
      maxConcurrent: number;
    };
    list: AgentEntry[];
  };
  providers: ProvidersConfig;
  session: { mainKey: string; scope: "per-sender" | "global"; dmScope: DmScope };
  /** `channels.<id>`: each channel's section (checked in channels.ts and by the channel itself). */
  channels: Record<string, Record<string, unknown>>;
  bindings: ChannelBinding[];
  commands: { restart: boolean };
  hooks: HooksConfig;
  logging: { level: LogLevel; file: string | null; maxFileBytes: number; maxFiles: number };
}

const MiB = 1024 * 1024;

export const configSchema: convict.Schema<CoderclawConfig> = {
  gateway: {
    port: { doc: "Gateway TCP port (WebSocket + HTTP).", format: "port", default: 18789 },
    mode: {
      doc: '"local" lets this host run the gateway; "remote" makes the CLI talk to gateway.remote.url.',
      format: ["local", "remote"],
      default: null,
      nullable: true,
    },
    bind: {
      doc: "Which interfaces the gateway listens on.",
      format: ["loopback", "lan", "tailnet", "auto", "custom"],
      default: "loopback",
    },
    customBindHost: {
      doc: "IPv4 address for bind=custom.",
      format: String,
      default: null,
      nullable: true,
    },
    trustedProxies: {
      doc: "Reverse proxies (IPs or IPv4 CIDRs) whose X-Forwarded-For / X-Real-IP name the client.",
      format: proxyList,
      default: [],
    },
    auth: {
      mode: {
        doc: "Shared-secret auth mode; inferred from which secret is set when unset.",
        format: ["token", "password", "trusted-proxy"],
        default: null,
        nullable: true,
      },
      token: { doc: "Shared token.", format: String, default: null, nullable: true, sensitive: true },
      password: { doc: "Shared password.", format: String, default: null, nullable: true, sensitive: true },
      rateLimit: {
        doc: "Lock out a client IP after failed auth attempts: {maxAttempts, windowMs, lockoutMs, exemptLoopback}; off when absent.",
        // An object leaf (its fields are checked in load.ts): present or not is the on/off switch.
        format: "object",
        default: null,
        nullable: true,
      },
      trustedProxy: {
        doc: 'For mode "trusted-proxy": {userHeader, requiredHeaders?, allowUsers?} of the identity-aware proxy.',
        format: "object",
        default: null,
        nullable: true,
      },
    },
    controlUi: {
      enabled: { doc: "Serve the Control UI on the gateway port.", format: Boolean, default: true },
      basePath: {
        doc: 'URL prefix of the Control UI ("/ui" serves it at /ui/).',
        format: String,
        default: "",
      },
      root: {
        doc: "Directory of built Control UI assets (default: the package's dist/control-ui).",
        format: String,
        default: null,
        nullable: true,
      },
      allowedOrigins: {
        doc: "Browser origins, besides the gateway's own and loopback pages, allowed to connect.",
        format: stringList,
        default: [],
      },
    },
    http: {
      endpoints: {
        chatCompletions: {
          enabled: { doc: "POST /v1/chat/completions.", format: Boolean, default: false },
        },
        responses: {
          enabled: { doc: "POST /v1/responses.", format: Boolean, default: false },
          maxBodyBytes: { doc: "Request body cap.", format: positiveInt("maxBodyBytes"), default: 20 * MiB },
        },
      },
    },
    reload: {
      mode: { doc: "Config reload mode.", format: ["off", "hot", "restart", "hybrid"], default: "hybrid" },
      debounceMs: { doc: "Debounce of config file changes.", format: duration(0), default: 300 },
    },
    restart: {
      drainTimeoutMs: {
        doc: "How long a restart waits for in-flight runs.",
        format: duration(0),
        default: 30000,
      },
    },
    metrics: {
      enabled: {
        doc: "Serve Prometheus metrics on the gateway port (bearer token/password, like the HTTP APIs).",
        format: Boolean,
        default: false,
      },
      path: {
        doc: "Path of the metrics endpoint.",
        format: (value: unknown) => {
          const problem = metricsPathProblem(value);
          if (problem) throw new Error(problem);
        },
        default: DEFAULT_METRICS_PATH,
      },
    },
    tls: {
      enabled: { doc: "Serve https and wss on the gateway port.", format: Boolean, default: false },
      autoGenerate: {
        doc: "Without certPath/keyPath: generate a self-signed certificate on first start, then reuse it.",
        format: Boolean,
        default: true,
      },
      certPath: {
        doc: "PEM certificate (relative to the config file).",
        format: String,
        default: null,
        nullable: true,
      },
      keyPath: { doc: "PEM private key of certPath.", format: String, default: null, nullable: true },
      caPath: {
        doc: "PEM intermediates served after the certificate.",
        format: String,
        default: null,
        nullable: true,
      },
    },
    remote: {
      url: { doc: "Remote gateway URL for CLI calls.", format: String, default: null, nullable: true },
      token: { doc: "Remote token.", format: String, default: null, nullable: true, sensitive: true },
      password: { doc: "Remote password.", format: String, default: null, nullable: true, sensitive: true },
      tlsFingerprint: {
        doc: "SHA-256 fingerprint of the remote gateway's certificate, pinned for wss:// (from `gateway status`).",
        format: tlsFingerprint,
        default: null,
        nullable: true,
      },
    },
    tickIntervalMs: {
      doc: "Interval of tick events and keepalive pings.",
      format: duration(1),
      default: 30000,
    },
    handshakeTimeoutMs: {
      doc: "Time a new socket has to complete connect.",
      format: duration(1),
      default: 10000,
    },
    healthRefreshMs: {
      doc: "Background health refresh interval.",
      format: duration(1),
      default: 60000,
    },
    maxPayloadBytes: {
      doc: "Largest accepted frame after hello-ok.",
      format: positiveInt("maxPayloadBytes"),
      default: 25 * MiB,
    },
    maxBufferedBytes: {
      doc: "Send buffer above which a client is a slow consumer.",
      format: positiveInt("maxBufferedBytes"),
      default: 50 * MiB,
    },
    channelHealthCheckMinutes: {
      doc: "How often the channel health monitor restarts disconnected or hung accounts (0 = off).",
      format: "nat",
      default: 5,
    },
  },
  agents: {
    defaults: {
      workspace: { doc: "Agent workspace directory.", format: String, default: null, nullable: true },
      model: { doc: "Default provider/model.", format: String, default: null, nullable: true },
      timeoutSeconds: { doc: "Agent run timeout (0 = none).", format: duration(0, "s"), default: 600 },
      maxConcurrent: {
        doc: "Parallel runs across sessions.",
        format: positiveInt("maxConcurrent"),
        default: 4,
      },
    },
    list: { doc: "Configured agents.", format: agentList, default: [] },
  },
  providers: {
    doc: "Named providers agents can use: echo, command (a local coding CLI), openai (any compatible endpoint).",
    // convict only keeps an object-valued leaf whole with the "object" format; entries are checked in load.ts.
    format: "object",
    default: {},
  },
  session: {
    mainKey: { doc: "Main session key.", format: String, default: "main" },
    scope: { doc: "Session scope.", format: ["per-sender", "global"], default: "per-sender" },
    dmScope: {
      doc: "Which session a channel DM goes to: the agent's main session, or one per peer / channel+peer / account+channel+peer.",
      format: ["main", "per-peer", "per-channel-peer", "per-account-channel-peer"],
      default: "main",
    },
  },
  channels: {
    doc: "Chat channels (irc, telegram, ...): connection settings, dmPolicy, allowFrom, groupPolicy, groups, accounts.",
    // An object leaf: each channel's keys are checked by config/channels.ts and by the channel itself.
    format: "object",
    default: {},
  },
  bindings: {
    doc: "Route a channel's messages to an agent: [{agentId, match: {channel, accountId?, peer?: {kind, id}}}].",
    format: (value: unknown) => {
      if (!Array.isArray(value)) throw new Error("must be an array of bindings");
    },
    default: [],
  },
  commands: {
    restart: { doc: "Allow SIGUSR1 restarts from outside.", format: Boolean, default: false },
  },
  hooks: {
    enabled: {
      doc: "Serve the webhook endpoints under hooks.path (needs hooks.token).",
      format: Boolean,
      default: false,
    },
    path: { doc: "Base path of the webhook endpoints.", format: String, default: DEFAULT_HOOKS_PATH },
    token: {
      doc: "The webhooks' own secret (never the gateway token): Authorization: Bearer or x-coderclaw-token.",
      format: String,
      default: null,
      nullable: true,
      sensitive: true,
    },
    maxBodyBytes: {
      doc: "Request body cap of the webhook endpoints.",
      format: positiveInt("maxBodyBytes"),
      default: DEFAULT_HOOKS_MAX_BODY_BYTES,
    },
    allowedAgentIds: {
      doc: 'Agents a hook may name with agentId; unset allows any ("*" too).',
      format: stringList,
      default: null,
      nullable: true,
    },
    allowRequestSessionKey: {
      doc: "Let POST <path>/agent choose its sessionKey.",
      format: Boolean,
      default: false,
    },
    allowedSessionKeyPrefixes: {
      doc: "Prefixes every hook session key must start with; empty allows any.",
      format: stringList,
      default: [],
    },
    defaultSessionKey: {
      doc: "Session of hook agent runs that name none (else a fresh hook:<uuid>).",
      format: String,
      default: null,
      nullable: true,
    },
    mappings: {
      doc: "POST <path>/<name> → a wake or agent action rendered from {{body.*}} / {{headers.*}} templates.",
      format: hookMappingList,
      default: [],
    },
  },
  logging: {
    level: { doc: "File log level.", format: ["error", "warn", "info", "debug", "trace"], default: "info" },
    file: { doc: "Log file path.", format: String, default: null, nullable: true },
    maxFileBytes: { doc: "Log rotation size.", format: positiveInt("maxFileBytes"), default: 10 * MiB },
    maxFiles: {
      doc: "Log files kept, the one being written included.",
      format: positiveInt("maxFiles"),
      default: 5,
    },
  },
};

interface SchemaLeaf {
  doc?: string;
  default: unknown;
  format?: unknown;
  sensitive?: boolean;
}

function isLeaf(node: unknown): node is SchemaLeaf {
  return typeof node === "object" && node !== null && "default" in node;
}

/** Every leaf path of the schema (`gateway.auth.token`, ...), in declaration order. */
export function schemaLeafPaths(node: unknown = configSchema, prefix = ""): string[] {
  if (isLeaf(node)) return [prefix];
  return Object.entries(node as Record<string, unknown>).flatMap(([key, child]) =>
    schemaLeafPaths(child, prefix ? `${prefix}.${key}` : key),
  );
}

export function schemaLeaf(path: string): SchemaLeaf | undefined {
  let node: unknown = configSchema;
  for (const part of path.split(".")) {
    if (typeof node !== "object" || node === null || isLeaf(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return isLeaf(node) ? node : undefined;
}

export const SENSITIVE_PATHS: readonly string[] = schemaLeafPaths().filter((p) => schemaLeaf(p)?.sensitive);
