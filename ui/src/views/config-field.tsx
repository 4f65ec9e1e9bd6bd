export interface SchemaKey {
  path: string;
  doc: string | null;
  default: unknown;
  format: string | string[] | null;
  sensitive: boolean;
  reloadKind: "hot" | "restart" | "none";
  reloadEffect: string;
}

export type FieldKind = "boolean" | "enum" | "number" | "json" | "text";

const JSON_FORMATS = new Set(["object", "agentList", "stringList", "proxyList"]);

export function fieldKind(key: SchemaKey): FieldKind {
  if (Array.isArray(key.format)) return "enum";
  if (key.format === "Boolean" || typeof key.default === "boolean") return "boolean";
  if (typeof key.default === "number" || ["nat", "port", "int"].includes(String(key.format))) return "number";
  if (JSON_FORMATS.has(String(key.format)) || (typeof key.default === "object" && key.default !== null))
    return "json";
  return "text";
}

/** The text an input shows for a value. */
export function displayValue(kind: FieldKind, value: unknown): string {
  if (value === null || value === undefined) return "";
  if (kind === "json") return JSON.stringify(value, null, 2);
  return String(value);
}

/** The value an input's text stands for; throws with a message the field shows. */
export function parseInput(kind: FieldKind, text: string, key: SchemaKey): unknown {
  const trimmed = text.trim();
  if (kind === "boolean") return text === "true";
  if (trimmed === "") return key.default === null ? null : kind === "text" ? "" : null;
  if (kind === "number") {
    const number = Number(trimmed);
    if (!Number.isFinite(number)) throw new Error("must be a number");
    return number;
  }
  if (kind === "json") {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      throw new Error("must be valid JSON");
    }
  }
  return text;
}

export interface ConfigFieldProps {
  schemaKey: SchemaKey;
  text: string;
  changed: boolean;
  error: string | null;
  onChange(text: string): void;
}

/** One config key: its input, doc, default and what applying a change to it means. */
export function ConfigField({ schemaKey, text, changed, error, onChange }: ConfigFieldProps) {
  const kind = fieldKind(schemaKey);
  const id = `cfg-${schemaKey.path.replace(/[^a-z0-9]/gi, "-")}`;
  const describedBy = `${id}-doc${error ? ` ${id}-error` : ""}`;
  let input;
  if (kind === "boolean") {
    input = (
      <input
        id={id}
        type="checkbox"
        checked={text === "true"}
        aria-describedby={describedBy}
        onChange={(event) => onChange(String(event.currentTarget.checked))}
      />
    );
  } else if (kind === "enum") {
    input = (
      <select
        id={id}
        value={text}
        aria-describedby={describedBy}
        onChange={(event) => onChange(event.currentTarget.value)}
      >
        {schemaKey.default === null && <option value="">(unset)</option>}
        {(schemaKey.format as string[]).map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    );
  } else if (kind === "json") {
    input = (
      <textarea
        id={id}
        rows={Math.min(8, Math.max(2, text.split("\n").length))}
        value={text}
        spellcheck={false}
        aria-describedby={describedBy}
        aria-invalid={error ? true : undefined}
        onInput={(event) => onChange(event.currentTarget.value)}
      />
    );
  } else {
    input = (
      <input
        id={id}
        type={kind === "number" ? "number" : schemaKey.sensitive ? "password" : "text"}
        value={text}
        autocomplete="off"
        aria-describedby={describedBy}
        aria-invalid={error ? true : undefined}
        onInput={(event) => onChange(event.currentTarget.value)}
      />
    );
  }
  return (
    <div
      class={`config-field${changed ? " changed" : ""}${error ? " invalid" : ""}`}
      data-path={schemaKey.path}
    >
      <label for={id} class="mono">
        {schemaKey.path}
      </label>
      {input}
      <p class="field-doc" id={`${id}-doc`}>
        {schemaKey.doc ?? ""}{" "}
        <span class="muted">Default: {displayValue("json", schemaKey.default) || "none"}.</span>{" "}
        <span class={`badge reload-${schemaKey.reloadKind}`} title={schemaKey.reloadEffect}>
          {schemaKey.reloadKind}
        </span>
      </p>
      {error && (
        <p class="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
