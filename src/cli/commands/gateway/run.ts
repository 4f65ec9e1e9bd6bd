import { Flags } from "@oclif/core";
import { runGateway } from "../../../host/run-gateway.js";
import { CoderclawCommand } from "../../base-command.js";

export const gatewayRunFlags = {
  port: Flags.string({
    description: "Port (--port → CODERCLAW_GATEWAY_PORT → gateway.port → 18789; 0 = any free port).",
  }),
  bind: Flags.string({ description: 'Bind mode: "loopback", "lan", "tailnet", "auto" or "custom".' }),
  auth: Flags.string({ description: 'Auth mode override: "token" or "password".' }),
  token: Flags.string({ description: "Token override (also exported as CODERCLAW_GATEWAY_TOKEN)." }),
  password: Flags.string({ description: "Password override." }),
  "allow-unconfigured": Flags.boolean({ description: "Start even when gateway.mode is not local." }),
  dev: Flags.boolean({ description: "Create a dev config and workspace if the config is missing." }),
  reset: Flags.boolean({ description: "With --dev: recreate the dev config." }),
  force: Flags.boolean({ description: "Kill whatever listens on the port first." }),
  verbose: Flags.boolean({ description: "Mirror debug/trace logs to the console." }),
  "ws-log": Flags.string({ description: 'WebSocket log style: "auto", "full" or "compact".' }),
  compact: Flags.boolean({ description: "Alias for --ws-log compact." }),
};

export default class GatewayRun extends CoderclawCommand {
  static override summary = "Run the gateway in the foreground.";
  static override flags = gatewayRunFlags;

  async run(): Promise<void> {
    const { flags } = await this.parse(GatewayRun);
    this.applyProfile(flags.profile);
    const code = await runGateway(
      {
        port: flags.port,
        bind: flags.bind,
        auth: flags.auth,
        token: flags.token,
        password: flags.password,
        allowUnconfigured: flags["allow-unconfigured"],
        dev: flags.dev,
        reset: flags.reset,
        force: flags.force,
        verbose: flags.verbose,
        wsLog: flags["ws-log"],
        compact: flags.compact,
      },
      process.env,
      { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) },
    );
    if (code !== 0) this.exit(code);
  }
}
