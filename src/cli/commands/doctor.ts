import { createInterface } from "node:readline/promises";
import { Flags } from "@oclif/core";
import { doctorJson, findingLines, summaryLines } from "../../doctor/render-doctor.js";
import { runDoctor } from "../../doctor/run-doctor.js";
import { connectionFlags } from "../base-command.js";
import { OperatorCommand } from "../operator-command.js";

async function askYesNo(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

export default class Doctor extends OperatorCommand {
  static override summary =
    "Check config, auth, service, ports, state and gateway health; repair with --fix. Exits 1 while a ✗ problem remains.";
  static override flags = {
    repair: Flags.boolean({
      description:
        "Apply the recommended repairs (alias: --fix): asks before each one in a terminal, applies them all when nobody can be asked.",
      aliases: ["fix"],
    }),
    yes: Flags.boolean({ char: "y", description: "Accept every repair without prompting." }),
    "non-interactive": Flags.boolean({
      description: "Never prompt, and never repair without --yes (--fix then only says what it would do).",
    }),
    deep: Flags.boolean({ description: "Also scan system service dirs for other gateways." }),
    "generate-gateway-token": Flags.boolean({
      description: "Generate and save a gateway token when none is configured.",
    }),
    json: Flags.boolean({ description: "Print {ok, findings, repaired, skipped} as JSON." }),
    url: connectionFlags.url,
    port: connectionFlags.port,
    token: connectionFlags.token,
    password: connectionFlags.password,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Doctor);
    this.applyProfile(flags.profile);
    this.requireUrlCredentials(flags);
    const interactive = !flags["non-interactive"] && !flags.json && process.stdin.isTTY === true;
    // With nobody to ask (no terminal, --json), `--fix` itself is the consent; --non-interactive withholds it.
    const consentGiven = flags.yes || (!interactive && !flags["non-interactive"]);
    const report = await runDoctor({
      repair: flags.repair,
      yes: consentGiven,
      deep: flags.deep,
      generateGatewayToken: flags["generate-gateway-token"],
      target: { url: flags.url, port: flags.port, token: flags.token, password: flags.password },
      ...(interactive ? { confirm: askYesNo } : {}),
      ...(flags.json
        ? {}
        : { onFinding: (finding, repair) => findingLines(finding, repair).forEach((l) => this.line(l)) }),
    });
    if (flags.json) {
      this.line(doctorJson(report));
      // stdout stays one JSON document; the closing line goes to stderr.
      process.stderr.write("Doctor complete.\n");
    } else {
      summaryLines(report).forEach((line) => this.line(line));
    }
    if (report.checkFailed || !report.ok) this.exit(1);
  }
}
