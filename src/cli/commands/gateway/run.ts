import { Flags } from "@oclif/core";
import { runGateway } from "../../../host/run-gateway.js";
import { CoderclawCommand } from "../../base-command.js";
import { GATEWAY_RUN_OPTIONS, toRunFlags } from "../../gateway-run-options.js";

const about = (name: keyof typeof GATEWAY_RUN_OPTIONS) => ({
  description: GATEWAY_RUN_OPTIONS[name].description,
});

export const gatewayRunFlags = {
  port: Flags.string(about("port")),
  bind: Flags.string(about("bind")),
  auth: Flags.string(about("auth")),
  token: Flags.string(about("token")),
  password: Flags.string(about("password")),
  "allow-unconfigured": Flags.boolean(about("allow-unconfigured")),
  dev: Flags.boolean(about("dev")),
  reset: Flags.boolean(about("reset")),
  force: Flags.boolean(about("force")),
  verbose: Flags.boolean(about("verbose")),
  "ws-log": Flags.string(about("ws-log")),
  compact: Flags.boolean(about("compact")),
};

export default class GatewayRun extends CoderclawCommand {
  static override summary = "Run the gateway in the foreground.";
  static override flags = gatewayRunFlags;

  async run(): Promise<void> {
    const { flags } = await this.parse(GatewayRun);
    this.applyProfile(flags.profile);
    const code = await runGateway(toRunFlags(flags), process.env, {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
    });
    if (code !== 0) this.exit(code);
  }
}
