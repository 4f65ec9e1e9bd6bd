import { Type } from "@sinclair/typebox";
import path from "node:path";
import { readConfigSnapshot, validateConfigObject, type ConfigSnapshot } from "../config/load.js";
import { resolveLogDir } from "../config/paths.js";
import { redactConfig, restoreRedacted } from "../config/redact.js";
import { ruleFor } from "../config/reload-rules.js";
import { FORBIDDEN_KEY_MESSAGE, forbiddenKeyPath, pathHasForbiddenKey } from "../config/safe-keys.js";
import { configSchema, schemaLeaf, schemaLeafPaths } from "../config/schema.js";
import { setAtPath, writeConfigFile } from "../config/write.js";
import { ErrorCodes } from "../protocol/index.js";
import { GatewayError } from "../protocol/gateway-error.js";
import { defineMethod } from "./method-spec.js";
import type { GatewayServices } from "./services.js";

const BaseHash = Type.Optional(Type.String());

function describeLeaf(leafPath: string) {
  const leaf = schemaLeaf(leafPath);
  const format = leaf?.format;
  const rule = ruleFor(leafPath);
  return {
    path: leafPath,
    doc: leaf?.doc ?? null,
    default: leaf?.default ?? null,
    format: Array.isArray(format)
      ? format
      : typeof format === "string"
        ? format
        : typeof format === "function"
          ? format.name || "custom"
          : null,
    sensitive: Boolean(leaf?.sensitive),
    reloadKind: rule.kind,
    reloadEffect: rule.effect,
  };
}

/** Optimistic concurrency (REFERENCE §5.7): a write must name the hash of the file it was based on. */
function checkBaseHash(snapshot: ConfigSnapshot, baseHash: string | undefined): void {
  if (snapshot.exists && !baseHash) {
    throw new GatewayError(
      ErrorCodes.INVALID_REQUEST,
      "config base hash required; re-run config.get and retry",
    );
  }
  if (snapshot.exists && baseHash !== snapshot.hash) {
    throw new GatewayError(
      ErrorCodes.INVALID_REQUEST,
      "config changed since last load; re-run config.get and retry",
    );
  }
}

/** Refuses, before anything is merged or set, a key that could reach an object prototype. */
function refuseForbiddenKeys(value: unknown, prefix = ""): void {
  const keyPath = prefix !== "" && pathHasForbiddenKey(prefix) ? prefix : forbiddenKeyPath(value, prefix);
  if (keyPath !== null) {
    throw new GatewayError(
      ErrorCodes.INVALID_REQUEST,
      `invalid config path ${keyPath}: ${FORBIDDEN_KEY_MESSAGE}`,
      {
        details: { path: keyPath },
      },
    );
  }
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const base =
    typeof target === "object" && target !== null && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete (base as Record<string, unknown>)[key];
    else (base as Record<string, unknown>)[key] = mergePatch((base as Record<string, unknown>)[key], value);
  }
  return base;
}

/**
 * The config file as it is now. A write is checked against, and built on, the file rather than the
 * snapshot the gateway last loaded: an edit on disk that the reload controller has not read yet (it
 * debounces) is still a conflict, never silently overwritten.
 */
function fileNow(gateway: GatewayServices): ConfigSnapshot {
  return readConfigSnapshot(gateway.config().path);
}

/** Validate, write atomically (with .bak and an audit record), then let the reload controller act on it. */
function writeThrough(
  gateway: GatewayServices,
  current: ConfigSnapshot,
  next: Record<string, unknown>,
  source: string,
) {
  const { config: restored, problems } = restoreRedacted(next, current.parsed);
  const { issues } = problems.length > 0 ? { issues: problems } : validateConfigObject(restored);
  if (issues.length > 0) {
    const text = issues.map((issue) => `${issue.path || "<root>"}: ${issue.message}`).join("; ");
    throw new GatewayError(ErrorCodes.INVALID_REQUEST, `invalid config: ${text}`, { details: { issues } });
  }
  const hash = writeConfigFile(current.path, restored, {
    auditLogPath: path.join(resolveLogDir(gateway.stateDir), "config-audit.jsonl"),
    source,
  });
  gateway.requestReload();
  return { ok: true, path: current.path, hash, reload: "requested" };
}

export const configGetMethod = defineMethod({
  name: "config.get",
  scope: "read",
  summary: "The config file as it is now, secrets redacted, and its hash (the baseHash for writes).",
  params: Type.Object({}, { additionalProperties: true }),
  handler: (_params, { gateway }) => {
    // The file, like the writes: a hash read here is the one the next write is checked against.
    const snapshot = fileNow(gateway);
    return {
      path: snapshot.path,
      exists: snapshot.exists,
      valid: snapshot.valid,
      hash: snapshot.hash,
      issues: snapshot.issues,
      parsed: redactConfig(snapshot.parsed),
      config: redactConfig(snapshot.config),
    };
  },
});

export const configSchemaMethod = defineMethod({
  name: "config.schema",
  scope: "admin",
  summary: "Every config key with its doc, default, format and reloadKind (hot / restart / none).",
  params: Type.Object({}, { additionalProperties: true }),
  handler: () => ({ keys: schemaLeafPaths(configSchema).map(describeLeaf) }),
});

export const configSchemaLookupMethod = defineMethod({
  name: "config.schema.lookup",
  scope: "admin",
  summary: "One config key's schema entry and reloadKind.",
  params: Type.Object({ path: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  handler: (params) => {
    if (!schemaLeaf(params.path)) {
      throw new GatewayError(ErrorCodes.INVALID_REQUEST, `unknown config path: ${params.path}`);
    }
    return describeLeaf(params.path);
  },
});

export const configSetMethod = defineMethod({
  name: "config.set",
  scope: "admin",
  summary: "Sets one key (validated, atomic write, then reloaded by the controller).",
  params: Type.Object(
    { path: Type.String({ minLength: 1 }), value: Type.Unknown(), baseHash: BaseHash },
    { additionalProperties: false },
  ),
  handler: (params, { gateway }) => {
    refuseForbiddenKeys(params.value, params.path);
    const snapshot = fileNow(gateway);
    checkBaseHash(snapshot, params.baseHash);
    return writeThrough(
      gateway,
      snapshot,
      setAtPath(snapshot.parsed, params.path, params.value),
      "rpc config.set",
    );
  },
});

export const configPatchMethod = defineMethod({
  name: "config.patch",
  scope: "admin",
  summary: "Merges a JSON merge patch into the file (null deletes a key).",
  params: Type.Object(
    { patch: Type.Record(Type.String(), Type.Unknown()), baseHash: BaseHash },
    { additionalProperties: false },
  ),
  handler: (params, { gateway }) => {
    refuseForbiddenKeys(params.patch);
    const snapshot = fileNow(gateway);
    checkBaseHash(snapshot, params.baseHash);
    return writeThrough(
      gateway,
      snapshot,
      mergePatch(snapshot.parsed, params.patch) as Record<string, unknown>,
      "rpc config.patch",
    );
  },
});

export const configApplyMethod = defineMethod({
  name: "config.apply",
  scope: "admin",
  summary: "Replaces the whole file.",
  params: Type.Object(
    { config: Type.Record(Type.String(), Type.Unknown()), baseHash: BaseHash },
    { additionalProperties: false },
  ),
  handler: (params, { gateway }) => {
    refuseForbiddenKeys(params.config);
    const snapshot = fileNow(gateway);
    checkBaseHash(snapshot, params.baseHash);
    return writeThrough(gateway, snapshot, params.config, "rpc config.apply");
  },
});

export const configReloadMethod = defineMethod({
  name: "config.reload",
  scope: "admin",
  hidden: true,
  summary: "Re-reads the config file now (what `coderclaw gateway hot-reload` calls).",
  params: Type.Object({}, { additionalProperties: true }),
  handler: (_params, { gateway }) => {
    gateway.requestReload();
    return { ok: true };
  },
});

export const restartRequestMethod = defineMethod({
  name: "gateway.restart.request",
  scope: "admin",
  summary: "Restarts the gateway: drain runs, shutdown event, close 1012, fresh gateway.",
  params: Type.Object({ reason: Type.Optional(Type.String()) }, { additionalProperties: false }),
  handler: (params, { gateway }) => {
    // Answer first: the restart closes this very socket.
    setTimeout(() => gateway.requestRestart(params.reason ?? "gateway.restart.request"), 50);
    return { ok: true, restartExpectedMs: 1500 };
  },
});
