import type { Hook, Interfaces } from "@oclif/core";

type Config = Interfaces.Config;
import { cliCommand, type Env } from "../config/paths.js";
import { suggestCommand, spacedCommand } from "./command-suggestion.js";

/** Every command and topic a user can type (hidden ones are not offered). */
export function typableIds(config: Config): string[] {
  const commands = config.commands.filter((command) => !command.hidden).map((command) => command.id);
  const topics = config.topics.filter((topic) => !topic.hidden).map((topic) => topic.name);
  return [...new Set([...commands, ...topics])];
}

/** What to print for an unknown command: what was typed, the closest command, where the list is. */
export function unknownCommandLines(typedId: string, config: Config, env: Env = process.env): string[] {
  const lines = [`\`${cliCommand(spacedCommand(typedId), env)}\` is not a command.`];
  const suggestion = suggestCommand(typedId, typableIds(config));
  if (suggestion) lines.push(`Did you mean: ${cliCommand(suggestion, env)}?`);
  lines.push(`See the commands: ${cliCommand("--help", env)}`);
  return lines;
}

/** Exit code of an unknown command: a usage error, as oclif's own parse errors. */
export const UNKNOWN_COMMAND_EXIT = 2;

const commandNotFound: Hook.CommandNotFound = async function (options) {
  process.stderr.write(`${unknownCommandLines(options.id, options.config).join("\n")}\n`);
  this.exit(UNKNOWN_COMMAND_EXIT);
};

export default commandNotFound;
