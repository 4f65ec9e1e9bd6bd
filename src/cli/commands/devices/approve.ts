import { Args, Flags } from "@oclif/core";
import type { DevicePairingRequest, PairedDevice } from "../../../devices/device-store.js";
import type { TargetFlags } from "../../../client/cli-target.js";
import { cliCommand } from "../../../config/paths.js";
import { formatAge } from "../../format-age.js";
import { describeClient, devicesFlags, shown } from "./devices-call.js";
import { OperatorCommand } from "../../operator-command.js";

type ApproveFlags = TargetFlags & { timeout: string; profile?: string; json: boolean };

const scopeList = (scopes: string[]) => `[${scopes.map(shown).join(", ") || "no scopes"}]`;

/** The command that approves `requestId` against the same gateway (secrets are named, never echoed). */
function approveCommand(requestId: string, flags: ApproveFlags): string {
  const target = [
    flags.url ? ` --url ${flags.url}` : "",
    flags.port ? ` --port ${flags.port}` : "",
    flags.token ? " --token <token>" : "",
    flags.password ? " --password <password>" : "",
  ].join("");
  return cliCommand(`devices approve ${requestId}${target}`);
}

export default class DevicesApprove extends OperatorCommand {
  static override summary =
    "Approve a pending device pairing request: the device gets its device token at its next connect.";
  static override description =
    "Only an explicit request id approves. Without one, or with --latest, the newest pending request is " +
    "shown (device, what it asks for, where from) with the command that approves it, nothing is " +
    "approved, and the exit code is 1.";
  static override args = {
    requestId: Args.string({ description: "The pairing request id (from `devices list`)." }),
  };
  static override flags = {
    ...devicesFlags,
    latest: Flags.boolean({ description: "Show the newest pending request and how to approve it." }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DevicesApprove);
    if (args.requestId === undefined || flags.latest) return this.preview(flags);
    const result = await this.callOnce<{ deviceId: string; role: string; scopes: string[] }>(
      "device.pair.approve",
      { requestId: args.requestId },
      flags,
    );
    if (flags.json) return this.line(JSON.stringify(result, null, 2));
    this.line(`Approved device ${result.deviceId} as ${result.role} ${scopeList(result.scopes)}.`);
  }

  /** The newest pending request, for the operator to check before approving it by its id. */
  private async preview(flags: ApproveFlags): Promise<void> {
    const listed = await this.callOnce<{ pending: DevicePairingRequest[]; paired: PairedDevice[] }>(
      "device.pair.list",
      {},
      flags,
    );
    const newest = listed.pending.reduce<DevicePairingRequest | null>(
      (latest, request) => (latest && latest.createdAtMs > request.createdAtMs ? latest : request),
      null,
    );
    if (!newest) return this.fail("No pending device pairing requests to approve.");
    const paired = listed.paired.find((device) => device.deviceId === newest.deviceId) ?? null;
    const command = approveCommand(newest.requestId, flags);
    if (flags.json) {
      const approvedNow = paired ? { roles: paired.roles, scopes: paired.scopes } : null;
      this.line(
        JSON.stringify({ approved: false, request: newest, approvedNow, approveCommand: command }, null, 2),
      );
      return this.exit(1);
    }
    const now = Date.now();
    this.line(`Newest pending request: ${newest.requestId}`);
    this.line(`  device:   ${newest.deviceId}`);
    this.line(
      `  client:   ${describeClient(newest) || "(not given)"}${newest.deviceFamily ? ` (${shown(newest.deviceFamily)})` : ""}`,
    );
    this.line(`  asks for: ${shown(newest.role)} ${scopeList(newest.scopes)}`);
    this.line(
      paired
        ? `  paired:   already, as ${paired.roles.map(shown).join(", ")} ${scopeList(paired.scopes)}: this asks for more`
        : "  paired:   no, a first pairing",
    );
    this.line(`  from:     ${shown(newest.remoteIp) || "(unknown address)"}`);
    this.line(
      `  asked:    ${formatAge(now - newest.createdAtMs)} ago; expires in ${formatAge(newest.expiresAtMs - now)}`,
    );
    this.fail(["Nothing was approved. If this is the device you expect, approve it with:", `  ${command}`]);
  }
}
