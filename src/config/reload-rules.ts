export type ReloadKind = "hot" | "restart" | "none";

export interface ReloadRule {
  prefix: string;
  kind: ReloadKind;
  /** What applying it means, for config.schema and the docs. */
  effect: string;
}

/**
 * The one table that says what a config change needs (REFERENCE §3.3, adapted to this schema).
 * First matching prefix wins (match = equal, or starts with `prefix.`); anything unmatched restarts.
 */
export const RELOAD_RULES: readonly ReloadRule[] = [
  { prefix: "gateway.remote", kind: "none", effect: "read by the CLI only" },
  { prefix: "gateway.reload", kind: "none", effect: "read by the reload controller on every change" },
  {
    prefix: "gateway.channelHealthCheckMinutes",
    kind: "hot",
    effect: "the channel health monitor uses the new interval from its next check",
  },
  {
    prefix: "gateway.metrics",
    kind: "restart",
    effect: "the metrics endpoint appears, moves or goes away with the restart (counters carry on)",
  },
  {
    prefix: "gateway.tls",
    kind: "restart",
    effect: "the listener loads the certificate and switches http/ws ↔ https/wss by a restart",
  },
  {
    prefix: "gateway",
    kind: "restart",
    effect: "listener, auth and protocol settings: the gateway restarts",
  },
  {
    prefix: "agents",
    kind: "hot",
    effect: "new runs use the new agents, models, workspaces, timeouts and lane limit",
  },
  { prefix: "providers", kind: "hot", effect: "new runs use the new providers" },
  { prefix: "session", kind: "hot", effect: "new connections and runs use the new session defaults" },
  {
    prefix: "channels",
    kind: "hot",
    effect: "a change under channels.<id> restarts only that channel's accounts",
  },
  { prefix: "bindings", kind: "hot", effect: "read for every channel message" },
  { prefix: "commands", kind: "hot", effect: "read when a SIGUSR1 arrives" },
  {
    prefix: "hooks",
    kind: "hot",
    effect:
      "the webhook endpoints read the new path, token, limits, policies and mappings on the next request",
  },
  { prefix: "logging.level", kind: "hot", effect: "the log file level changes at once" },
  { prefix: "logging", kind: "restart", effect: "the log file is reopened by a restart" },
];

export function ruleFor(path: string): ReloadRule {
  return (
    RELOAD_RULES.find((rule) => path === rule.prefix || path.startsWith(`${rule.prefix}.`)) ?? {
      prefix: path,
      kind: "restart",
      effect: "unknown to the rule table: the gateway restarts",
    }
  );
}

export interface ReloadPlan {
  changed: string[];
  hot: string[];
  restart: string[];
  none: string[];
}

export function classifyChanges(paths: readonly string[]): ReloadPlan {
  const plan: ReloadPlan = { changed: [...paths], hot: [], restart: [], none: [] };
  for (const path of paths) plan[ruleFor(path).kind].push(path);
  return plan;
}
