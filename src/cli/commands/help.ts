import { Args, Command, loadHelpClass } from "@oclif/core";
import { unknownCommandLines, UNKNOWN_COMMAND_EXIT } from "../command-not-found.js";

export default class Help extends Command {
  static override summary = "Show help for a command or topic (`coderclaw help gateway status`).";
  static override strict = false;
  static override args = {
    command: Args.string({
      description: "The command or topic, words separated by spaces.",
      required: false,
    }),
  };

  async run(): Promise<void> {
    const { argv } = await this.parse(Help);
    const words = (argv as string[]).filter((word) => !word.startsWith("-"));
    const id = words.join(":");
    if (id && !this.config.findCommand(id) && !this.config.findTopic(id)) {
      process.stderr.write(`${unknownCommandLines(id, this.config).join("\n")}\n`);
      this.exit(UNKNOWN_COMMAND_EXIT);
    }
    const HelpClass = await loadHelpClass(this.config);
    await new HelpClass(this.config, this.config.pjson.oclif.helpOptions ?? {}).showHelp(words);
  }
}
