import { Flags } from "@oclif/core";
import type { ActorTreeNode, InspectTransition } from "../../../actors/inspection.js";
import { connectCli } from "../../../client/one-shot.js";
import { CoderclawCommand, connectionFlags } from "../../base-command.js";
import { renderActorTree, renderTransition } from "../../render-actor-tree.js";

export default class GatewayInspect extends CoderclawCommand {
  static override summary =
    "Show the live actor tree (supervisor, gateway, connections, runs) and its states.";
  static override flags = {
    ...connectionFlags,
    follow: Flags.boolean({ char: "f", description: "Keep printing transitions as they happen." }),
    json: Flags.boolean({ description: "JSON output (one object per line with --follow)." }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(GatewayInspect);
    this.applyProfile(flags.profile);
    let session;
    try {
      session = await connectCli({ ...flags, caps: flags.follow ? ["inspect"] : [] });
    } catch (error) {
      this.error((error as Error).message, { exit: 1 });
    }
    const { client } = session;
    const snapshot = await client.request<{ ts: number; actors: ActorTreeNode[] }>(
      "inspect.snapshot",
      {},
      {
        timeoutMs: flags.timeout,
      },
    );
    if (flags.json) this.line(JSON.stringify(snapshot));
    else renderActorTree(snapshot.actors).forEach((line) => this.line(line));
    if (!flags.follow) {
      await client.close();
      return;
    }
    client.on("event", (frame) => {
      if (frame.event !== "inspect") return;
      for (const change of (frame.payload as { transitions: InspectTransition[] }).transitions) {
        this.line(flags.json ? JSON.stringify(change) : renderTransition(change));
      }
    });
    await new Promise<void>((resolve) => {
      client.on("close", () => resolve());
      process.once("SIGINT", () => void client.close().then(resolve));
      process.once("SIGTERM", () => void client.close().then(resolve));
    });
  }
}
