import path from "node:path";
import { Args, Flags } from "@oclif/core";
import { resolveStateDir } from "../../../config/paths.js";
import { StateStore } from "../../../store/state-store.js";
import { CoderclawCommand } from "../../base-command.js";

export default class SessionsShow extends CoderclawCommand {
  static override summary = "Show a session's transcript from the state database.";
  static override args = {
    key: Args.string({ description: "Session key, e.g. agent:main:main.", required: true }),
  };
  static override flags = {
    json: Flags.boolean({ description: "JSON output." }),
    limit: Flags.integer({ description: "Last N messages.", default: 200, min: 1 }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SessionsShow);
    this.applyProfile(flags.profile);
    const file = path.join(resolveStateDir(), "state.db");
    let store: StateStore;
    try {
      store = StateStore.openReadOnly(file);
    } catch (error) {
      this.error((error as Error).message, { exit: 1 });
    }
    try {
      const session = store.getSession(args.key);
      if (!session) this.error(`No session "${args.key}" in ${file}.`, { exit: 1 });
      const messages = store.history(session.sessionId, flags.limit);
      if (flags.json) {
        this.line(JSON.stringify({ ...session, messages }, null, 2));
        return;
      }
      this.line(`Session ${session.key} (agent ${session.agentId}, id ${session.sessionId})`);
      for (const message of messages) {
        const time = new Date(message.ts).toISOString();
        const state = message.state === "final" ? "" : ` [${message.state}]`;
        this.line(`${time} ${message.role}${state}: ${message.text}`);
      }
    } finally {
      store.close();
    }
  }
}
