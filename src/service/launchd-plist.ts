export interface LaunchdPlistSpec {
  label: string;
  comment: string;
  programArguments: string[];
  environment: Record<string, string>;
  workingDirectory?: string;
  stdoutPath: string;
  stderrPath: string;
}

export interface ParsedLaunchdPlist {
  label?: string;
  comment?: string;
  programArguments: string[];
  environment: Record<string, string>;
  workingDirectory?: string;
  runAtLoad?: boolean;
  keepAlive?: boolean;
  throttleInterval?: number;
  stdoutPath?: string;
  stderrPath?: string;
}

function xmlEscape(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

function xmlUnescape(value: string): string {
  return value.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, entity: string) => {
    if (entity.startsWith("#x")) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[entity] as string;
  });
}

const string = (value: string) => `<string>${xmlEscape(value)}</string>`;

/** The LaunchAgent of REFERENCE §4.5: started at load, kept alive, throttled to one launch per 30 s. */
export function renderLaunchdPlist(spec: LaunchdPlistSpec): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    "  <dict>",
    "    <key>Label</key>",
    `    ${string(spec.label)}`,
    "    <key>Comment</key>",
    `    ${string(spec.comment)}`,
    "    <key>RunAtLoad</key>",
    "    <true/>",
    "    <key>KeepAlive</key>",
    "    <true/>",
    "    <key>ThrottleInterval</key>",
    "    <integer>30</integer>",
    "    <key>ProgramArguments</key>",
    "    <array>",
    ...spec.programArguments.map((arg) => `      ${string(arg)}`),
    "    </array>",
  ];
  if (spec.workingDirectory) {
    lines.push("    <key>WorkingDirectory</key>", `    ${string(spec.workingDirectory)}`);
  }
  lines.push(
    "    <key>StandardOutPath</key>",
    `    ${string(spec.stdoutPath)}`,
    "    <key>StandardErrorPath</key>",
    `    ${string(spec.stderrPath)}`,
    "    <key>EnvironmentVariables</key>",
    "    <dict>",
  );
  for (const [key, value] of Object.entries(spec.environment)) {
    lines.push(`      <key>${xmlEscape(key)}</key>`, `      ${string(value)}`);
  }
  lines.push("    </dict>", "  </dict>", "</plist>", "");
  return lines.join("\n");
}

type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

interface Token {
  kind: "open" | "close" | "empty" | "text";
  name: string;
}

function tokenize(xml: string): Token[] {
  const body = xml.replace(/<\?[\s\S]*?\?>|<!DOCTYPE[\s\S]*?>|<!--[\s\S]*?-->/g, "");
  const tokens: Token[] = [];
  for (const match of body.matchAll(/<(\/?)([A-Za-z]+)[^>]*?(\/?)>|([^<]+)/g)) {
    if (match[4] !== undefined) {
      tokens.push({ kind: "text", name: match[4] });
    } else {
      const kind = match[1] ? "close" : match[3] ? "empty" : "open";
      tokens.push({ kind, name: match[2] as string });
    }
  }
  return tokens;
}

/** A small reader for the plist subset launchd agents use (dict, array, string, integer, booleans). */
function parseValue(tokens: Token[], position: { index: number }): PlistValue | undefined {
  while (tokens[position.index]?.kind === "text" && !tokens[position.index]?.name.trim()) position.index++;
  const token = tokens[position.index++];
  if (!token) return undefined;
  if (token.kind === "empty") return token.name === "true" ? true : token.name === "false" ? false : "";
  if (token.kind !== "open") return undefined;
  const readText = (): string => {
    let text = "";
    while (tokens[position.index]?.kind === "text") text += tokens[position.index++]?.name ?? "";
    position.index++; // the closing tag
    return xmlUnescape(text);
  };
  switch (token.name) {
    case "string":
    case "key":
    case "data":
    case "date":
      return readText();
    case "integer":
    case "real":
      return Number(readText().trim());
    case "array": {
      const items: PlistValue[] = [];
      for (;;) {
        while (tokens[position.index]?.kind === "text") position.index++;
        const next = tokens[position.index];
        if (!next) return items;
        if (next.kind === "close") {
          position.index++;
          return items;
        }
        const value = parseValue(tokens, position);
        if (value !== undefined) items.push(value);
      }
    }
    case "dict": {
      const dict: Record<string, PlistValue> = {};
      for (;;) {
        while (tokens[position.index]?.kind === "text") position.index++;
        const next = tokens[position.index];
        if (!next) return dict;
        if (next.kind === "close") {
          position.index++;
          return dict;
        }
        const key = parseValue(tokens, position);
        const value = parseValue(tokens, position);
        if (typeof key === "string" && value !== undefined) dict[key] = value;
      }
    }
    case "plist":
      return parseValue(tokens, position);
    default:
      return undefined;
  }
}

export function parseLaunchdPlist(xml: string): ParsedLaunchdPlist {
  const root = parseValue(tokenize(xml), { index: 0 });
  const dict = root && typeof root === "object" && !Array.isArray(root) ? root : {};
  const str = (key: string) => (typeof dict[key] === "string" ? (dict[key] as string) : undefined);
  const bool = (key: string) => (typeof dict[key] === "boolean" ? (dict[key] as boolean) : undefined);
  const args = Array.isArray(dict.ProgramArguments) ? dict.ProgramArguments : [];
  const envDict = dict.EnvironmentVariables;
  const environment: Record<string, string> = {};
  if (envDict && typeof envDict === "object" && !Array.isArray(envDict)) {
    for (const [key, value] of Object.entries(envDict))
      if (typeof value === "string") environment[key] = value;
  }
  const result: ParsedLaunchdPlist = {
    programArguments: args.filter((arg): arg is string => typeof arg === "string"),
    environment,
  };
  const optional: Array<[keyof ParsedLaunchdPlist, unknown]> = [
    ["label", str("Label")],
    ["comment", str("Comment")],
    ["workingDirectory", str("WorkingDirectory")],
    ["runAtLoad", bool("RunAtLoad")],
    ["keepAlive", bool("KeepAlive")],
    ["throttleInterval", typeof dict.ThrottleInterval === "number" ? dict.ThrottleInterval : undefined],
    ["stdoutPath", str("StandardOutPath")],
    ["stderrPath", str("StandardErrorPath")],
  ];
  for (const [key, value] of optional) if (value !== undefined) Object.assign(result, { [key]: value });
  return result;
}
