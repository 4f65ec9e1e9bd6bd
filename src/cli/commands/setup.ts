import { Flags } from "@oclif/core";
import { cliCommand } from "../../config/paths.js";
import { OperatorCommand } from "../operator-command.js";
import { runSetup } from "../setup-config.js";

export default class Setup extends OperatorCommand {
  static override summary =
    "Create or complete the config (gateway.mode local, a gateway token, the agent workspace) and the state dirs.";
  static override flags = {
    workspace: Flags.string({ description: "Agent workspace directory (agents.defaults.workspace)." }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Setup);
    this.applyProfile(flags.profile);
    const outcome = runSetup({ workspace: flags.workspace });
    if (outcome.kind === "invalid") {
      this.fail([
        "Config invalid",
        `File: ${outcome.configPath}`,
        "Problem:",
        ...outcome.issues.map((issue) => `  - ${issue.path || "<root>"}: ${issue.message}`),
        `Run: ${cliCommand("doctor --fix")}`,
      ]);
    }
    const changed = outcome.changes.map((change) => change.path).join(", ");
    if (outcome.config === "wrote") this.line(`Wrote ${outcome.configPath}`);
    else if (outcome.config === "updated") this.line(`Updated ${outcome.configPath} (set ${changed})`);
    else this.line(`Config OK: ${outcome.configPath}`);
    outcome.changes.forEach((change) => this.line(`  ${change.path}: ${change.shown}`));
    this.line(`Workspace OK: ${outcome.workspace}`);
    this.line(`State OK: ${outcome.stateDir}`);
    this.line(`Gateway port: ${outcome.port.value} (${outcome.port.source})`);
    if (outcome.config !== "unchanged") this.line(`Next: ${cliCommand("gateway")}`);
  }
}
