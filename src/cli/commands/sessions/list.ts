import { Flags } from "@oclif/core";
import { CoderclawCommand } from "../../base-command.js";
import { formatAge } from "../../format-age.js";

function preview(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

export default class SessionsList extends CoderclawCommand {
  static override summary = "List sessions from the state database (works while the gateway is down).";
  static override flags = {
    json: Flags.boolean({ description: "JSON output." }),
    limit: Flags.integer({ description: "Most recent sessions to show.", default: 50, min: 1 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(SessionsList);
    this.applyProfile(flags.profile);
    this.withStateStore((store, file) => {
      const sessions = store.listSessions(flags.limit);
      if (flags.json) {
        this.line(JSON.stringify({ path: file, count: sessions.length, sessions }, null, 2));
        return;
      }
      this.line(`Session store: ${file} (${sessions.length} shown)`);
      const now = Date.now();
      for (const session of sessions) {
        const last = session.lastMessage
          ? ` · last ${session.lastMessage.role}: ${preview(session.lastMessage.text)}`
          : "";
        this.line(
          `- ${session.key} (${formatAge(now - session.updatedAt)} ago, ${session.messageCount} messages)${last}`,
        );
      }
    });
  }
}
