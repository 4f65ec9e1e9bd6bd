import { parseArgs } from "node:util";
import { applyProfileEnv, isValidProfileName } from "../config/paths.js";
import { runGateway } from "../host/run-gateway.js";
import { GATEWAY_RUN_OPTIONS, toRunFlags, type GatewayRunValues } from "./gateway-run-options.js";

/**
 * `coderclaw gateway [run] [flags]` without loading oclif: the long-running process keeps ~10 MB less
 * and starts faster. Anything it does not fully understand (help, unknown flags) returns null and
 * goes through oclif, which owns every message about usage.
 */
export async function runGatewayFastPath(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<number | null> {
  const rest = argv[1] === "run" ? argv.slice(2) : argv.slice(1);
  if (argv[0] !== "gateway" || (rest[0] !== undefined && !rest[0].startsWith("-"))) return null;
  let values: GatewayRunValues;
  try {
    ({ values } = parseArgs({
      args: [...rest],
      options: GATEWAY_RUN_OPTIONS,
      strict: true,
      allowPositionals: false,
    }));
  } catch {
    return null;
  }
  if (values.profile !== undefined) {
    if (!isValidProfileName(values.profile)) return null;
    applyProfileEnv(values.profile, env);
  }
  return runGateway(toRunFlags(values), env, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
}
