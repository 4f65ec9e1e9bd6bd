import { Command, Flags } from "@oclif/core";
import fs from "node:fs";
import path from "node:path";
import { applyProfileEnv, isValidProfileName, resolveStateDir } from "../config/paths.js";
import { StateStore } from "../store/state-store.js";
import { MAX_DURATION_MS } from "../protocol/duration.js";

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

  /** Runs `read` against `<stateDir>/state.db` opened read-only (a running gateway may be writing). */
  protected withStateStore<T>(read: (store: StateStore, file: string) => T): T {
    const file = path.join(resolveStateDir(), "state.db");
    if (!fs.existsSync(file)) {
      return this.fail(`No state database at ${file} yet (the gateway creates it when it first starts).`);
    }
    let store: StateStore;
    try {
      store = StateStore.openReadOnly(file);
    } catch (error) {
      return this.fail((error as Error).message);
    }
    try {
      return read(store, file);
    } finally {
      store.close();
    }
  }

  protected errLine(text = ""): void {
    process.stderr.write(`${text}\n`);
  }

  /** An error an operator reads: plain lines on stderr (no oclif decoration), then the exit code. */
  protected fail(message: string | string[], exitCode = 1): never {
    (Array.isArray(message) ? message : [message]).forEach((text) => this.errLine(text));
    return this.exit(exitCode);
  }

  protected line(text = ""): void {
    process.stdout.write(`${text}\n`);
  }
}

export const connectionFlags = {
  url: Flags.string({ description: "Gateway WebSocket URL (requires --token or --password)." }),
  port: Flags.integer({
    description: "Port of a gateway on this host (default: where the running gateway listens).",
    min: 1,
    max: 65535,
  }),
  token: Flags.string({ description: "Gateway token." }),
  password: Flags.string({ description: "Gateway password." }),
  timeout: Flags.integer({
    description: "Timeout in milliseconds.",
    default: 10_000,
    min: 1,
    max: MAX_DURATION_MS,
  }),
};
