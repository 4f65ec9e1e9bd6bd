import { Args } from "@oclif/core";
import { resolveConfigPath } from "../../../config/paths.js";
import { parseConfigValue, setConfigValue } from "../../config-edit.js";
import { OperatorCommand } from "../../operator-command.js";

export default class ConfigSet extends OperatorCommand {
  static override summary = "Set a config value (JSON5, or plain text); refused if the result is invalid.";
  static override args = {
    path: Args.string({ description: "Dotted key, e.g. gateway.port.", required: true }),
    value: Args.string({ description: 'JSON5 value (19001, true, ["a"]) or plain text.', required: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConfigSet);
    this.applyProfile(flags.profile);
    const result = setConfigValue(resolveConfigPath(), args.path, parseConfigValue(args.value));
    if (!result.ok) {
      const problems = result.issues.map((issue) => `  - ${issue.path || "<root>"}: ${issue.message}`);
      const headline =
        result.reason === "invalid"
          ? `Refusing to set ${args.path}: the config would be invalid (${result.configPath} unchanged).`
          : result.reason === "invalid-path"
            ? `Invalid config path: ${args.path}`
            : `Cannot update ${result.configPath}: the file does not parse.`;
      this.fail([headline, "Problem:", ...problems]);
    }
    this.line(
      `Updated ${args.path}. Restart the gateway to apply (or it reloads automatically if gateway.reload.mode allows).`,
    );
  }
}
