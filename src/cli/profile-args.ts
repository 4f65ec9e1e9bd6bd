import { applyProfileEnv, isValidProfileName } from "../config/paths.js";

export interface ProfileArgs {
  rest: string[];
  profile?: string;
  error?: string;
}

/**
 * oclif cannot parse flags before the command name, so `--dev` and `--profile <p>` ahead of it are
 * taken out here and turned into the profile environment (REFERENCE §1.1).
 */
export function parseCliProfileArgs(argv: readonly string[]): ProfileArgs {
  const rest = [...argv];
  let dev = false;
  let profile: string | undefined;
  let index = 0;
  while (index < rest.length) {
    const arg = rest[index] as string;
    if (!arg.startsWith("-")) break;
    if (arg === "--dev") {
      dev = true;
      rest.splice(index, 1);
    } else if (arg === "--profile" || arg.startsWith("--profile=")) {
      const value = arg === "--profile" ? rest[index + 1] : arg.slice("--profile=".length);
      if (value === undefined || value === "" || value.startsWith("-"))
        return { rest, error: "--profile requires a value" };
      if (!isValidProfileName(value))
        return { rest, error: 'Invalid --profile (use letters, numbers, "_", "-" only)' };
      profile = value;
      rest.splice(index, arg === "--profile" ? 2 : 1);
    } else {
      index += 1;
    }
  }
  if (dev && profile !== undefined) return { rest, error: "Cannot combine --dev with --profile" };
  return { rest, profile: dev ? "dev" : profile };
}

export function applyCliProfileArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ProfileArgs {
  const parsed = parseCliProfileArgs(argv);
  if (!parsed.error && parsed.profile) applyProfileEnv(parsed.profile, env);
  return parsed;
}
