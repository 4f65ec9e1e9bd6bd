import { assertUrlCredentials } from "../client/one-shot.js";
import type { TargetFlags } from "../client/cli-target.js";
import { CoderclawCommand } from "./base-command.js";
import { parseTimeoutMs } from "./rpc-flags.js";

/** A command that talks to a gateway: `--url` credential rules and `--timeout` parsing. */
export abstract class OperatorCommand extends CoderclawCommand {
  /** Refuses `--url` without `--token`/`--password` before anything else is tried. */
  protected requireUrlCredentials(flags: TargetFlags): void {
    try {
      assertUrlCredentials(flags);
    } catch (error) {
      this.fail((error as Error).message);
    }
  }

  protected timeoutMs(value: string): number {
    const parsed = parseTimeoutMs(value);
    return typeof parsed === "number" ? parsed : this.fail(parsed.error);
  }
}
