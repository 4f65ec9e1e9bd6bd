import { durationProblem } from "../protocol/duration.js";

/** `providers.<name>` in coderclaw.json: where agent output comes from. */
export type ProviderConfig =
  | { type: "echo"; delayMs?: number }
  | {
      type: "command";
      /** argv; the first element is the executable (PATH lookup). */
      command: string[];
      /** How the message reaches the command: on stdin (default) or as the last argument. */
      input?: "stdin" | "argument";
      env?: Record<string, string>;
      /** SIGTERM → SIGKILL grace when a run is aborted (default 2000). */
      graceMs?: number;
    }
  | {
      type: "openai";
      baseUrl: string;
      apiKey?: string;
      /** Name of an environment variable holding the key (used when apiKey is unset). */
      apiKeyEnv?: string;
      /** Default model when the agent's model ref names only the provider. */
      model?: string;
      timeoutMs?: number;
      maxRetries?: number;
      headers?: Record<string, string>;
    };

export type ProvidersConfig = Record<string, ProviderConfig>;

const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === "string")
  );
}

function isPositiveInt(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 0;
}

const ALLOWED_KEYS: Record<ProviderConfig["type"], readonly string[]> = {
  echo: ["type", "delayMs"],
  command: ["type", "command", "input", "env", "graceMs"],
  openai: ["type", "baseUrl", "apiKey", "apiKeyEnv", "model", "timeoutMs", "maxRetries", "headers"],
};

/** Problems with one provider entry, as `<field>: <message>` strings (empty when valid). */
export function providerProblems(entry: unknown): string[] {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return ["must be an object"];
  const record = entry as Record<string, unknown>;
  const type = record.type;
  if (type !== "echo" && type !== "command" && type !== "openai") {
    return ['type: must be one of "echo", "command", "openai"'];
  }
  const problems = Object.keys(record)
    .filter((key) => !ALLOWED_KEYS[type].includes(key))
    .map((key) => `${key}: unknown key`);
  for (const key of ["delayMs", "graceMs", "timeoutMs"]) {
    const problem = record[key] === undefined ? null : durationProblem(record[key], 0);
    if (problem && ALLOWED_KEYS[type].includes(key)) problems.push(`${key}: ${problem}`);
  }
  if (type === "command") {
    const command = record.command;
    if (
      !Array.isArray(command) ||
      command.length === 0 ||
      command.some((c) => typeof c !== "string" || c === "")
    ) {
      problems.push("command: must be a non-empty array of non-empty strings");
    }
    if (record.input !== undefined && record.input !== "stdin" && record.input !== "argument") {
      problems.push('input: must be "stdin" or "argument"');
    }
    if (record.env !== undefined && !isStringRecord(record.env))
      problems.push("env: must map names to strings");
  }
  if (type === "openai") {
    if (typeof record.baseUrl !== "string" || !/^https?:\/\//.test(record.baseUrl)) {
      problems.push("baseUrl: must be an http(s) URL");
    }
    for (const key of ["apiKey", "apiKeyEnv", "model"]) {
      if (record[key] !== undefined && typeof record[key] !== "string")
        problems.push(`${key}: must be a string`);
    }
    if (record.maxRetries !== undefined && !isPositiveInt(record.maxRetries)) {
      problems.push("maxRetries: must be a non-negative integer");
    }
    if (record.headers !== undefined && !isStringRecord(record.headers)) {
      problems.push("headers: must map names to strings");
    }
  }
  return problems;
}

/** Problems with the whole `providers` map, each with its path. */
export function providersIssues(value: unknown): Array<{ path: string; message: string }> {
  if (value === undefined) return [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return [{ path: "providers", message: "must be an object of named providers" }];
  }
  return Object.entries(value).flatMap(([name, entry]) => {
    if (!NAME.test(name)) return [{ path: `providers.${name}`, message: "invalid provider name" }];
    return providerProblems(entry).map((problem) => {
      const [field, ...rest] = problem.split(": ");
      return rest.length > 0
        ? { path: `providers.${name}.${field}`, message: rest.join(": ") }
        : { path: `providers.${name}`, message: problem };
    });
  });
}
