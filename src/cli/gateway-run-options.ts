import type { GatewayRunFlags } from "../host/launch.js";

interface RunOption {
  type: "string" | "boolean";
  description: string;
}

/** The flags of `coderclaw gateway` / `gateway run`, declared once for oclif and for the fast path. */
export const GATEWAY_RUN_OPTIONS = {
  port: {
    type: "string",
    description: "Port (--port → CODERCLAW_GATEWAY_PORT → gateway.port → 18789; 0 = any free port).",
  },
  bind: { type: "string", description: 'Bind mode: "loopback", "lan", "tailnet", "auto" or "custom".' },
  auth: { type: "string", description: 'Auth mode override: "token" or "password".' },
  token: {
    type: "string",
    description: "Token override (wins over CODERCLAW_GATEWAY_TOKEN and gateway.auth.token).",
  },
  password: { type: "string", description: "Password override." },
  "allow-unconfigured": { type: "boolean", description: "Start even when gateway.mode is not local." },
  dev: { type: "boolean", description: "Create a dev config and workspace if the config is missing." },
  reset: { type: "boolean", description: "With --dev: recreate the dev config." },
  force: { type: "boolean", description: "Kill whatever listens on the port first." },
  verbose: { type: "boolean", description: "Console at debug: every RPC, and a compact frame trace." },
  "ws-log": {
    type: "string",
    description:
      'WebSocket frame trace: "auto" (none; compact with --verbose), "compact" (a line per frame) or "full" (with redacted payloads).',
  },
  compact: { type: "boolean", description: "Alias for --ws-log compact." },
  profile: { type: "string", description: "Use a named profile (state in ~/.coderclaw-<name>)." },
} as const satisfies Record<string, RunOption>;

export type GatewayRunValues = {
  [K in keyof typeof GATEWAY_RUN_OPTIONS]?: (typeof GATEWAY_RUN_OPTIONS)[K]["type"] extends "boolean"
    ? boolean
    : string;
};

export function toRunFlags(values: GatewayRunValues): GatewayRunFlags {
  return {
    port: values.port,
    bind: values.bind,
    auth: values.auth,
    token: values.token,
    password: values.password,
    allowUnconfigured: values["allow-unconfigured"],
    dev: values.dev,
    reset: values.reset,
    force: values.force,
    verbose: values.verbose,
    wsLog: values["ws-log"],
    compact: values.compact,
  };
}
