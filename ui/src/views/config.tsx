import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { GatewayRequestError } from "../connection/gateway-connection.js";
import type { GatewayPort } from "../gateway-port.js";
import { errorText, useGatewayRead } from "../hooks.js";
import { ConfigField, displayValue, fieldKind, parseInput, type SchemaKey } from "./config-field.js";

interface ConfigSnapshot {
  path: string;
  hash: string | null;
  config: Record<string, unknown>;
}

const CONFLICT = /config changed since last load|config base hash required/;

function valueAt(object: unknown, path: string): unknown {
  let current = object;
  for (const segment of path.split(".")) {
    if (typeof current !== "object" || current === null || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** `{ "a.b": 1 }` → `{ a: { b: 1 } }`, as config.patch (a JSON merge patch) takes it. */
function toPatch(changes: Map<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [path, value] of changes) {
    const segments = path.split(".");
    let node = patch;
    segments.slice(0, -1).forEach((segment) => {
      node[segment] ??= Object.create(null) as Record<string, unknown>;
      node = node[segment] as Record<string, unknown>;
    });
    node[segments[segments.length - 1]!] = value;
  }
  return patch;
}

const KIND_TEXT = {
  hot: "applies at once",
  restart: "restarts the gateway",
  none: "no effect on the running gateway",
} as const;

/** The redacted config as a form generated from config.schema, applied with config.patch against its hash. */
export function ConfigView({ gateway }: { gateway: GatewayPort }) {
  const read = useCallback(async () => {
    const [snapshot, schema] = await Promise.all([
      gateway.request<ConfigSnapshot>("config.get"),
      gateway.request<{ keys: SchemaKey[] }>("config.schema"),
    ]);
    return { snapshot, keys: schema.keys };
  }, [gateway]);
  const loaded = useGatewayRead(gateway, read);
  const [drafts, setDrafts] = useState<Map<string, string>>(new Map());
  const [fieldErrors, setFieldErrors] = useState<Map<string, string>>(new Map());
  const [banner, setBanner] = useState<{ tone: "ok" | "error"; text: string } | null>(null);
  const [filter, setFilter] = useState("");
  const [busy, setBusy] = useState(false);

  const original = useMemo(() => {
    const texts = new Map<string, string>();
    loaded.data?.keys.forEach((key) =>
      texts.set(key.path, displayValue(fieldKind(key), valueAt(loaded.data!.snapshot.config, key.path))),
    );
    return texts;
  }, [loaded.data]);
  // A fresh read (after apply, a restart or a reconnect) is the new baseline.
  useEffect(() => setDrafts(new Map()), [loaded.data]);

  const keys = loaded.data?.keys ?? [];
  const changed = keys.filter(
    (key) => drafts.has(key.path) && drafts.get(key.path) !== original.get(key.path),
  );
  const needle = filter.trim().toLowerCase();
  const visible = keys.filter(
    (key) =>
      !needle || key.path.toLowerCase().includes(needle) || (key.doc ?? "").toLowerCase().includes(needle),
  );
  const groups = new Map<string, SchemaKey[]>();
  visible.forEach((key) => {
    const group = key.path.split(".").slice(0, -1).join(".") || key.path;
    groups.set(group, [...(groups.get(group) ?? []), key]);
  });

  const apply = async () => {
    if (!loaded.data) return;
    const errors = new Map<string, string>();
    const changes = new Map<string, unknown>();
    for (const key of changed) {
      try {
        changes.set(key.path, parseInput(fieldKind(key), drafts.get(key.path) ?? "", key));
      } catch (error) {
        errors.set(key.path, errorText(error));
      }
    }
    setFieldErrors(errors);
    if (errors.size > 0) return;
    setBusy(true);
    setBanner(null);
    try {
      await gateway.request("config.patch", {
        patch: toPatch(changes),
        baseHash: loaded.data.snapshot.hash ?? undefined,
      });
      const restarts = changed.some((key) => key.reloadKind === "restart");
      setBanner({
        tone: "ok",
        text: `Applied ${changed.length} change(s).${restarts ? " The gateway restarts; this page reconnects by itself." : ""}`,
      });
      loaded.reload();
    } catch (error) {
      const failure = error instanceof GatewayRequestError ? error : null;
      const issues = (failure?.details as { issues?: Array<{ path: string; message: string }> } | undefined)
        ?.issues;
      if (issues?.length) {
        issues.forEach((issue) => errors.set(issue.path, issue.message));
        setBanner({ tone: "error", text: "The gateway refused the new config; see the marked fields." });
      } else if (CONFLICT.test(errorText(error))) {
        changed.forEach((key) => errors.set(key.path, "changed on disk since this page read it"));
        setBanner({
          tone: "error",
          text: `${errorText(error)}. Reload to see the current file, then re-apply.`,
        });
      } else {
        setBanner({ tone: "error", text: errorText(error) });
      }
      setFieldErrors(errors);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="config">
      <section class="card" aria-labelledby="config-title">
        <div class="toolbar">
          <h2 id="config-title">Config</h2>
          <span class="muted mono small">{loaded.data?.snapshot.path}</span>
          <label>
            <span class="sr-only">Filter keys</span>
            <input
              type="search"
              placeholder="Filter keys"
              value={filter}
              onInput={(e) => setFilter(e.currentTarget.value)}
            />
          </label>
          <button type="button" class="ghost" onClick={() => loaded.reload()}>
            Reload
          </button>
        </div>
        {loaded.error && <p class="alert">{loaded.error}</p>}
        {banner && (
          <p class={banner.tone === "ok" ? "note" : "alert"} role="status" data-testid="config-banner">
            {banner.text}
          </p>
        )}
        <div class="pending" aria-live="polite" data-testid="pending-changes">
          {changed.length === 0 ? (
            <p class="muted">
              No changes. Secrets are shown redacted and are only sent when you replace them.
            </p>
          ) : (
            <>
              <h3>Before applying</h3>
              <ul class="list">
                {changed.map((key) => (
                  <li key={key.path}>
                    <span class="mono">{key.path}</span>{" "}
                    <span class={`badge reload-${key.reloadKind}`}>{key.reloadKind}</span>{" "}
                    <span class="muted">
                      {KIND_TEXT[key.reloadKind]}: {key.reloadEffect}
                    </span>
                  </li>
                ))}
              </ul>
              <div class="actions">
                <button type="button" disabled={busy} onClick={() => void apply()}>
                  Apply {changed.length} change(s)
                </button>
                <button
                  type="button"
                  class="ghost"
                  onClick={() => (setDrafts(new Map()), setFieldErrors(new Map()))}
                >
                  Discard
                </button>
              </div>
            </>
          )}
        </div>
      </section>
      <form
        class="config"
        aria-label="Config keys"
        onSubmit={(event) => {
          event.preventDefault();
          void apply();
        }}
      >
        {[...groups].map(([group, groupKeys]) => (
          <details class="card config-group" key={group} open={needle !== "" || group === "logging"}>
            <summary>
              <h3>{group}</h3>
            </summary>
            {groupKeys.map((key) => (
              <ConfigField
                key={key.path}
                schemaKey={key}
                text={drafts.get(key.path) ?? original.get(key.path) ?? ""}
                changed={drafts.has(key.path) && drafts.get(key.path) !== original.get(key.path)}
                error={fieldErrors.get(key.path) ?? null}
                onChange={(text) => setDrafts((previous) => new Map(previous).set(key.path, text))}
              />
            ))}
          </details>
        ))}
      </form>
    </div>
  );
}
