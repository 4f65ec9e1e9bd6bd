import { Flags } from "@oclif/core";
import { explainAuthFailure } from "../../../client/auth-failure.js";
import { resolveCliTarget } from "../../../client/cli-target.js";
import { probeGateway } from "../../../client/probe.js";
import { OperatorCommand } from "../../operator-command.js";
import { showProgress } from "../../progress.js";
import { probeSummaryLines } from "../../render-probe.js";
import { rpcFlags } from "../../rpc-flags.js";
import { redactUrl } from "../../../config/redact.js";

export default class GatewayProbe extends OperatorCommand {
  static override summary = "Probe a gateway: connect, then health/status/presence/config in parallel.";
  static override flags = {
    ...rpcFlags(3_000),
    json: Flags.boolean({ description: "Print the probe result as JSON." }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(GatewayProbe);
    this.applyProfile(flags.profile);
    const timeoutMs = this.timeoutMs(flags.timeout);
    this.requireUrlCredentials(flags);
    const target = resolveCliTarget(flags);
    const progress = showProgress(`Connecting to ${redactUrl(target.url)}…`, !flags.json);
    const result = await probeGateway({
      url: target.url,
      token: target.token,
      password: target.password,
      tlsFingerprint: target.tlsFingerprint,
      timeoutMs,
    });
    progress.done();
    const failure = /^connect failed: ([^]*)$/.exec(result.error ?? "");
    if (failure) result.error = `connect failed: ${explainAuthFailure(failure[1]!, target)}`;
    if (flags.json) {
      this.line(JSON.stringify(result, null, 2));
    } else {
      this.line(`Gateway probe: ${redactUrl(result.url)}`);
      if (result.ok) {
        this.line(`Reachable: yes (${result.connectLatencyMs}ms)`);
        probeSummaryLines(result).forEach((line) => this.line(line));
      } else {
        const [first, ...rest] = (result.error ?? "").split("\n");
        this.line(`Reachable: no (${first})`);
        rest.forEach((line) => this.line(line));
      }
    }
    if (!result.ok) this.exit(1);
  }
}
