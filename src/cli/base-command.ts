import { Command, Flags } from "@oclif/core";
import { applyProfileEnv, isValidProfileName } from "../config/paths.js";

/** Flags every command accepts after its name too: `--profile <p>`. */
export abstract class CoderclawCommand extends Command {
  static override baseFlags = {
    profile: Flags.string({
      description: "Use a named profile (state in ~/.coderclaw-<name>).",
      helpGroup: "GLOBAL",
    }),
  };

  /** Applies `--profile` given after the command before anything resolves paths. */
  protected applyProfile(profile: string | undefined): void {
    if (profile === undefined) return;
    if (!isValidProfileName(profile))
      this.error('Invalid --profile (use letters, numbers, "_", "-" only)', { exit: 2 });
    applyProfileEnv(profile, process.env);
  }

  protected line(text = ""): void {
    process.stdout.write(`${text}\n`);
  }
}

export const connectionFlags = {
  url: Flags.string({ description: "Gateway WebSocket URL (requires --token or --password)." }),
  token: Flags.string({ description: "Gateway token." }),
  password: Flags.string({ description: "Gateway password." }),
  timeout: Flags.integer({ description: "Timeout in milliseconds.", default: 10_000, min: 1 }),
};
