export interface SystemdUnitSpec {
  description: string;
  programArguments: string[];
  environment: Record<string, string>;
  workingDirectory?: string;
  /** A system unit (`/etc/systemd/system`) runs as this user; user units leave it unset. */
  user?: string;
}

export interface ParsedSystemdUnit {
  programArguments: string[];
  environment: Record<string, string>;
  workingDirectory?: string;
  user?: string;
  /** Every `Key=value` by section, in file order (a key may repeat). */
  sections: Record<string, Record<string, string[]>>;
}

// systemd splits on whitespace and honours both quote characters and backslash escapes, so any of
// those in a value needs quoting. (Upstream's class matched the letter "s" instead of whitespace.)
const NEEDS_QUOTING = /[\s"'\\]/;

/** `%` starts a specifier everywhere; `$` starts a variable in ExecStart only. */
function escapeSpecifiers(value: string, exec: boolean): string {
  const percent = value.replace(/%/g, "%%");
  return exec ? percent.replace(/\$/g, "$$$$") : percent;
}

function quoteWord(value: string): string {
  if (value !== "" && !NEEDS_QUOTING.test(value)) return value;
  const escaped = value
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t");
  return `"${escaped}"`;
}

export function formatExecStart(args: readonly string[]): string {
  return args.map((arg) => quoteWord(escapeSpecifiers(arg, true))).join(" ");
}

function formatEnvironment(key: string, value: string): string {
  return quoteWord(escapeSpecifiers(`${key}=${value}`, false));
}

function assertEnvKey(key: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`invalid environment variable name: ${key}`);
}

/** How the unit has systemd run the gateway; `doctor` and `gateway status` flag a unit edited away from it. */
export const GATEWAY_SERVICE_POLICY = { Restart: "always", KillMode: "process" } as const;

/** The unit of REFERENCE §4.4: restarts always, 5 s apart, after the network is online. */
export function renderSystemdUnit(spec: SystemdUnitSpec): string {
  const lines = [
    "[Unit]",
    `Description=${escapeSpecifiers(spec.description.replace(/\s+/g, " "), false)}`,
    "After=network-online.target",
    "Wants=network-online.target",
    "StartLimitBurst=5",
    "StartLimitIntervalSec=120",
    "",
    "[Service]",
  ];
  if (spec.user) lines.push(`User=${spec.user}`);
  lines.push(
    `ExecStart=${formatExecStart(spec.programArguments)}`,
    `Restart=${GATEWAY_SERVICE_POLICY.Restart}`,
    "RestartSec=5",
  );
  lines.push(`KillMode=${GATEWAY_SERVICE_POLICY.KillMode}`);
  // WorkingDirectory takes the rest of the line literally (no quoting), only specifiers apply.
  if (spec.workingDirectory) lines.push(`WorkingDirectory=${escapeSpecifiers(spec.workingDirectory, false)}`);
  for (const [key, value] of Object.entries(spec.environment)) {
    assertEnvKey(key);
    lines.push(`Environment=${formatEnvironment(key, value)}`);
  }
  lines.push("", "[Install]", `WantedBy=${spec.user ? "multi-user.target" : "default.target"}`, "");
  return lines.join("\n");
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: "\n",
  t: "\t",
  r: "\r",
  s: " ",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
  "\\": "\\",
  '"': '"',
  "'": "'",
};

/** systemd's word splitting: whitespace separates, quotes group, C escapes outside single quotes. */
export function splitUnitWords(text: string): string[] {
  const words: string[] = [];
  let index = 0;
  const at = (i: number) => text[i] ?? "";
  while (index < text.length) {
    while (index < text.length && /\s/.test(at(index))) index++;
    if (index >= text.length) break;
    let word = "";
    let quote: string | null = null;
    for (; index < text.length; index++) {
      const char = at(index);
      if (quote === null && /\s/.test(char)) break;
      if (quote === null && (char === '"' || char === "'")) {
        quote = char;
        continue;
      }
      if (quote !== null && char === quote) {
        quote = null;
        continue;
      }
      if (char === "\\" && quote !== "'" && index + 1 < text.length) {
        const next = at(index + 1);
        if (next === "x" && /^[0-9a-fA-F]{2}$/.test(text.slice(index + 2, index + 4))) {
          word += String.fromCharCode(parseInt(text.slice(index + 2, index + 4), 16));
          index += 3;
        } else {
          word += SIMPLE_ESCAPES[next] ?? next;
          index += 1;
        }
        continue;
      }
      word += char;
    }
    words.push(word);
  }
  return words;
}

function logicalLines(content: string): string[] {
  const result: string[] = [];
  let pending = "";
  for (const raw of content.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (pending === "" && /^\s*[#;]/.test(line)) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    result.push(pending + line);
    pending = "";
  }
  if (pending) result.push(pending);
  return result;
}

/** Reads an installed unit back: what it runs, with which environment, where. */
export function parseSystemdUnit(content: string): ParsedSystemdUnit {
  const sections: Record<string, Record<string, string[]>> = {};
  let current: Record<string, string[]> | null = null;
  for (const line of logicalLines(content)) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const header = /^\[(.+)\]$/.exec(trimmed);
    if (header) {
      current = sections[header[1] as string] ??= {};
      continue;
    }
    const eq = trimmed.indexOf("=");
    if (eq <= 0 || !current) continue;
    const key = trimmed.slice(0, eq).trim();
    (current[key] ??= []).push(trimmed.slice(eq + 1).trim());
  }
  const service = sections.Service ?? {};
  const unspecify = (word: string) => word.replace(/%%/g, "%");
  const execLine = service.ExecStart?.filter((value) => value !== "").at(-1) ?? "";
  const programArguments = splitUnitWords(execLine).map((word) => unspecify(word).replace(/\$\$/g, "$"));
  if (programArguments[0]) programArguments[0] = programArguments[0].replace(/^[-@:+!]+/, "");
  const environment: Record<string, string> = {};
  for (const value of service.Environment ?? []) {
    for (const assignment of splitUnitWords(value)) {
      const eq = assignment.indexOf("=");
      if (eq > 0) environment[assignment.slice(0, eq)] = unspecify(assignment.slice(eq + 1));
    }
  }
  const workingDirectory = service.WorkingDirectory?.at(-1);
  const user = service.User?.at(-1);
  return {
    programArguments,
    environment,
    ...(workingDirectory ? { workingDirectory: unspecify(workingDirectory.replace(/^-/, "")) } : {}),
    ...(user ? { user } : {}),
    sections,
  };
}
