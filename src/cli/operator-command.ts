import { assertUrlCredentials, callGateway } from "../client/one-shot.js";
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

  /** One RPC; a failure is printed as the gateway words it, without the target lines appended to it. */
  protected async callOnce<T>(
    method: string,
    params: Record<string, unknown>,
    flags: TargetFlags & { timeout: string; profile?: string },
  ): Promise<T> {
    this.applyProfile(flags.profile);
    const timeout = this.timeoutMs(flags.timeout);
    this.requireUrlCredentials(flags);
    try {
      return await callGateway<T>(method, params, { ...flags, timeout });
    } catch (error) {
      const lines = (error as Error).message.split("\n");
      const end = lines.findIndex((line) => line.startsWith("Gateway target:"));
      return this.fail(end > 0 ? lines.slice(0, end) : lines);
    }
  }
}
