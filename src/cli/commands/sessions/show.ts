import { Args, Flags } from "@oclif/core";
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
    this.withStateStore((store, file) => {
      const session = store.getSession(args.key);
      if (!session) return this.fail(`No session "${args.key}" in ${file}.`);
      const messages = store.history(session.sessionId, flags.limit);
      if (flags.json) {
        this.line(JSON.stringify({ ...session, messages }, null, 2));
        return;
      }
      this.line(`Session ${session.key} (agent ${session.agentId}, id ${session.sessionId})`);
      for (const message of messages) {
        const state = message.state === "final" ? "" : ` [${message.state}]`;
        this.line(`${new Date(message.ts).toISOString()} ${message.role}${state}: ${message.text}`);
      }
    });
  }
}
