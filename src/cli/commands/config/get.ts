import { Args, Flags } from "@oclif/core";
import { cliCommand, resolveConfigPath } from "../../../config/paths.js";
import { getConfigValue } from "../../config-edit.js";
import { OperatorCommand } from "../../operator-command.js";

export default class ConfigGet extends OperatorCommand {
  static override summary = "Print a config value as JSON (secrets redacted unless --show-secrets).";
  static override args = {
    path: Args.string({ description: "Dotted key, e.g. gateway.port.", required: true }),
  };
  static override flags = {
    json: Flags.boolean({ description: "JSON output (compact, one line)." }),
    "show-secrets": Flags.boolean({ description: "Print tokens, passwords and API keys as they are." }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConfigGet);
    this.applyProfile(flags.profile);
    const result = getConfigValue(resolveConfigPath(), args.path, { showSecrets: flags["show-secrets"] });
    if (!result.fileValid) {
      this.errLine(`Config invalid: ${result.configPath} (run \`${cliCommand("doctor --fix")}\`).`);
    }
    if (!result.found) this.fail(`Config path not found: ${args.path}`);
    this.line(flags.json ? JSON.stringify(result.value) : JSON.stringify(result.value, null, 2));
  }
}
