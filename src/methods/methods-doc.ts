import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { GATEWAY_EVENTS } from "../protocol/index.js";
import { coreMethods } from "./method-table.js";
import type { MethodScope } from "./method-spec.js";

const SCOPE_TEXT: Record<MethodScope, string> = {
  read: "`operator.read` (or write/admin)",
  write: "`operator.write` (or admin)",
  admin: "`operator.admin`",
  approvals: "`operator.approvals` (or admin)",
  pairing: "`operator.pairing` (or admin)",
};

function paramsText(schema: unknown): string {
  const properties =
    (schema as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties ?? {};
  const required = new Set((schema as { required?: string[] } | undefined)?.required ?? []);
  const names = Object.entries(properties).map(([name, prop]) => {
    const type = Array.isArray(prop.type) ? prop.type.join("|") : (prop.type ?? "any");
    return `\`${name}${required.has(name) ? "" : "?"}: ${String(type)}\``;
  });
  return names.length > 0 ? names.join(", ") : "—";
}

/** docs/methods.md, generated from the method table (the same table hello-ok advertises). */
export function methodsMarkdown(): string {
  const rows = coreMethods
    .filter((spec) => !spec.hidden)
    .map(
      (spec) =>
        `| \`${spec.name}\` | ${SCOPE_TEXT[spec.scope]} | ${paramsText(spec.params)} | ${spec.summary} |`,
    );
  return [
    "# Gateway RPC methods",
    "",
    "Generated from `src/methods/method-table.ts` by `npm run schema`; do not edit by hand.",
    "Every method is called with a `req` frame after hello-ok; unknown methods answer",
    '`INVALID_REQUEST "unknown method: <m>"`, a missing scope `INVALID_REQUEST "missing scope: operator.<x>"`.',
    "",
    "| method | scope | params | what it does |",
    "|---|---|---|---|",
    ...rows,
    "",
    "## Events",
    "",
    GATEWAY_EVENTS.map((event) => `\`${event}\``).join(", "),
    "",
  ].join("\n");
}

export function methodsDocPath(): string {
  return fileURLToPath(new URL("../../docs/methods.md", import.meta.url));
}

export function writeMethodsDoc(outputPath = methodsDocPath()): string {
  mkdirSync(path.dirname(outputPath), { recursive: true });
  writeFileSync(outputPath, methodsMarkdown());
  return outputPath;
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(path.resolve(entry)).href) {
  console.log(`wrote ${path.relative(process.cwd(), writeMethodsDoc())}`);
}
