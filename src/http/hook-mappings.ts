import type { HookMappingConfig } from "../config/hooks-config.js";

/** What a mapping's templates may read of one request. */
export interface HookRequest {
  /** The sub-path under `hooks.path`, without slashes at either end (`github`, `ci/build`). */
  path: string;
  body: Record<string, unknown>;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: ReadonlyMap<string, string>;
  query: ReadonlyMap<string, string>;
}

/** A rendered template grew past this: a template repeating a large field must not multiply a body. */
export const MAX_RENDERED_CHARS = 1024 * 1024;

export class TemplateError extends Error {}

/** Names that lead from a value to its prototype: a template reaching them renders nothing. */
const FORBIDDEN_SEGMENTS = new Set(["__proto__", "prototype", "constructor"]);

const normalizePath = (path: string) => path.replace(/^\/+|\/+$/g, "");

/** The first mapping whose `match.path` (the sub-path) and `match.source` (the body's `source`) fit. */
export function findMapping(
  mappings: readonly HookMappingConfig[],
  request: HookRequest,
): HookMappingConfig | undefined {
  const source = typeof request.body.source === "string" ? request.body.source : undefined;
  return mappings.find(
    (mapping) =>
      (mapping.match?.path === undefined || normalizePath(mapping.match.path) === request.path) &&
      (mapping.match?.source === undefined || mapping.match.source === source),
  );
}

/** One own property or array element; anything else (inherited, prototype-reaching, missing) is undefined. */
function step(value: unknown, segment: string): unknown {
  if (FORBIDDEN_SEGMENTS.has(segment) || typeof value !== "object" || value === null) return undefined;
  if (Array.isArray(value)) return /^\d+$/.test(segment) ? value[Number(segment)] : undefined;
  return Object.prototype.hasOwnProperty.call(value, segment)
    ? (value as Record<string, unknown>)[segment]
    : undefined;
}

/** `body.a.b`, `body.items[0].name`, `headers.x-event`, `query.ref`, `path`, `now`. */
function resolveExpression(expression: string, request: HookRequest): unknown {
  const segments = expression
    .replace(/\[(\d+)\]/g, ".$1")
    .split(".")
    .filter((segment) => segment !== "");
  const [root, ...rest] = segments;
  if (root === "path" && rest.length === 0) return request.path;
  if (root === "now" && rest.length === 0) return new Date().toISOString();
  if ((root === "headers" || root === "query") && rest.length === 1) {
    const name = rest[0] as string;
    return (
      (root === "headers" ? request.headers.get(name.toLowerCase()) : request.query.get(name)) ?? undefined
    );
  }
  if (root !== "body" && root !== "payload") return undefined;
  return rest.reduce<unknown>((value, segment) => step(value, segment), request.body);
}

function display(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** `{{expression}}` replaced by what it names in the request; throws TemplateError past MAX_RENDERED_CHARS. */
export function renderTemplate(template: string, request: HookRequest): string {
  let length = 0;
  return template.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (_match, expression: string) => {
    const text = display(resolveExpression(expression, request));
    length += text.length;
    if (length + template.length > MAX_RENDERED_CHARS)
      throw new TemplateError(`rendered text exceeds ${MAX_RENDERED_CHARS} characters`);
    return text;
  });
}

/**
 * The mapping's action with its templates rendered, as the fields of a `/wake` or `/agent` body, so the
 * same checks apply to both. `name`, `sessionKey` and `to` are templates too.
 */
export function renderMapping(
  mapping: HookMappingConfig,
  request: HookRequest,
): { kind: "wake" | "agent"; fields: Record<string, unknown> } {
  const render = (template: string | undefined) =>
    template === undefined ? undefined : renderTemplate(template, request);
  if (mapping.action === "wake") {
    return { kind: "wake", fields: { text: render(mapping.textTemplate), mode: mapping.wakeMode } };
  }
  return {
    kind: "agent",
    fields: {
      message: render(mapping.messageTemplate),
      name: render(mapping.name),
      agentId: mapping.agentId,
      wakeMode: mapping.wakeMode,
      sessionKey: render(mapping.sessionKey),
      deliver: mapping.deliver,
      channel: mapping.channel,
      to: render(mapping.to),
      model: mapping.model,
      timeoutSeconds: mapping.timeoutSeconds,
    },
  };
}
