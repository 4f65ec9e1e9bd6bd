import { createHash } from "node:crypto";
import fs from "node:fs";
import convict from "convict";
import JSON5 from "json5";
import { authRateLimitIssues } from "./auth-rate-limit.js";
import type { ConfigIssue } from "./config-issue.js";
import { hooksIssues } from "./hooks-config.js";
import { metricsRouteIssues } from "./metrics-config.js";
import { bindingsIssues, channelsIssues } from "./channels.js";
import { providersIssues } from "./providers.js";
import { FORBIDDEN_KEY_MESSAGE, forbiddenKeyPath } from "./safe-keys.js";
import { trustedProxyAuthIssues } from "./trusted-proxy-auth.js";
import { configSchema, type CoderclawConfig } from "./schema.js";

// convict keeps an object-valued leaf whole only when its format is literally named "object".
convict.addFormat({
  name: "object",
  validate: (value: unknown) => {
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw new Error("must be an object");
  },
});

export interface ConfigSnapshot {
  path: string;
  exists: boolean;
  /** File text as read; "" when the file does not exist. */
  raw: string;
  /** sha256 of the raw text, or null when the file does not exist (the `baseHash` of config.* RPCs). */
  hash: string | null;
  /** The file as written by the operator (no defaults), or {} when missing or unparsable. */
  parsed: Record<string, unknown>;
  valid: boolean;
  issues: ConfigIssue[];
  /** Parsed file merged onto the defaults; the defaults alone when the file is invalid. */
  config: CoderclawConfig;
}

export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  constructor(
    readonly configPath: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      `Invalid config at ${configPath}.\n${formatIssues(issues)}\nRun "coderclaw doctor" to repair, then retry.`,
    );
  }
}

export function formatIssues(issues: ConfigIssue[]): string {
  return issues.map((issue) => `- ${issue.path || "<root>"}: ${issue.message}`).join("\n");
}

export function hashConfigText(raw: string): string {
  return createHash("sha256").update(raw).digest("hex");
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function nested(value: Record<string, unknown>, ...keys: string[]): unknown {
  let node: unknown = value;
  for (const key of keys) node = isPlainObject(node) ? node[key] : undefined;
  return node;
}

/** Unknown keys and objects replaced by scalars; convict reports these ambiguously, so we walk first. */
function structuralIssues(
  value: Record<string, unknown>,
  schemaNode: unknown,
  prefix: string,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [key, child] of Object.entries(value)) {
    const keyPath = prefix ? `${prefix}.${key}` : key;
    const node = isPlainObject(schemaNode) ? schemaNode[key] : undefined;
    if (node === undefined) {
      issues.push({ path: keyPath, message: "unknown key" });
    } else if (isPlainObject(node) && !("default" in node)) {
      if (isPlainObject(child)) issues.push(...structuralIssues(child, node, keyPath));
      else issues.push({ path: keyPath, message: "must be an object" });
    }
  }
  return issues;
}

/** The parts of the file the schema knows, so values can be checked even when unknown keys are present. */
function knownKeysOnly(value: Record<string, unknown>, schemaNode: unknown): Record<string, unknown> {
  const known: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const node = isPlainObject(schemaNode) ? schemaNode[key] : undefined;
    if (node === undefined) continue;
    if (isPlainObject(node) && !("default" in node)) {
      if (isPlainObject(child)) known[key] = knownKeysOnly(child, node);
    } else {
      known[key] = child;
    }
  }
  return known;
}

const CONVICT_LINE = /^([\w.]+): (.*)$/;

function valueIssues(parsed: Record<string, unknown>): { issues: ConfigIssue[]; config: CoderclawConfig } {
  const store = convict(configSchema, { args: [], env: {} });
  store.load(parsed);
  try {
    store.validate({ allowed: "warn", output: () => undefined });
    return { issues: [], config: store.getProperties() };
  } catch (error) {
    const lines = String((error as Error).message).split("\n");
    const issues = lines
      .map((line) => CONVICT_LINE.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => ({ path: match[1] ?? "", message: match[2] ?? "" }));
    return { issues, config: defaultConfig() };
  }
}

export function defaultConfig(): CoderclawConfig {
  return convict(configSchema, { args: [], env: {} }).getProperties();
}

/** Validates an already-parsed config object (used by config.set/patch before anything is written). */
export function validateConfigObject(parsed: unknown): { issues: ConfigIssue[]; config: CoderclawConfig } {
  if (!isPlainObject(parsed)) {
    return { issues: [{ path: "", message: "config must be a JSON5 object" }], config: defaultConfig() };
  }
  // Checked before anything walks or merges the object: such a key could reach a prototype.
  const forbidden = forbiddenKeyPath(parsed);
  if (forbidden !== null) {
    return { issues: [{ path: forbidden, message: FORBIDDEN_KEY_MESSAGE }], config: defaultConfig() };
  }
  const structural = structuralIssues(parsed, configSchema, "");
  const values = valueIssues(knownKeysOnly(parsed, configSchema));
  const issues = [
    ...structural,
    ...values.issues,
    ...providersIssues(parsed.providers),
    ...authRateLimitIssues(nested(parsed, "gateway", "auth", "rateLimit")),
    ...trustedProxyAuthIssues(nested(parsed, "gateway", "auth", "trustedProxy")),
    ...hooksIssues(parsed),
    ...channelsIssues(parsed.channels),
    ...bindingsIssues(parsed.bindings),
    // Cross-field checks read the values with their defaults, so only once every value is valid.
    ...(values.issues.length === 0 ? metricsRouteIssues(values.config) : []),
  ];
  return issues.length > 0 ? { issues, config: defaultConfig() } : values;
}

export function readConfigSnapshot(configPath: string): ConfigSnapshot {
  let raw: string;
  try {
    raw = fs.readFileSync(configPath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return {
        path: configPath,
        exists: false,
        raw: "",
        hash: null,
        parsed: {},
        valid: true,
        issues: [],
        config: defaultConfig(),
      };
    }
    const message = `cannot read file: ${(error as Error).message}`;
    return invalidSnapshot(configPath, "", [{ path: "", message }]);
  }
  let parsed: unknown;
  try {
    parsed = raw.trim() === "" ? {} : JSON5.parse(raw);
  } catch (error) {
    return invalidSnapshot(configPath, raw, [
      { path: "", message: `JSON5 parse error: ${(error as Error).message}` },
    ]);
  }
  const { issues, config } = validateConfigObject(parsed);
  return {
    path: configPath,
    exists: true,
    raw,
    hash: hashConfigText(raw),
    parsed: isPlainObject(parsed) ? parsed : {},
    valid: issues.length === 0,
    issues,
    config,
  };
}

function invalidSnapshot(configPath: string, raw: string, issues: ConfigIssue[]): ConfigSnapshot {
  return {
    path: configPath,
    exists: true,
    raw,
    hash: hashConfigText(raw),
    parsed: {},
    valid: false,
    issues,
    config: defaultConfig(),
  };
}

/** The validated config, or a ConfigError naming the file and every problem. */
export function loadConfig(configPath: string): ConfigSnapshot {
  const snapshot = readConfigSnapshot(configPath);
  if (!snapshot.valid) throw new ConfigError(configPath, snapshot.issues);
  return snapshot;
}
