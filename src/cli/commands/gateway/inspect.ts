import { Flags } from "@oclif/core";
import type { ActorTreeNode, InspectTransition } from "../../../protocol/actor-inspection.js";
import type { GatewayClient } from "../../../client/gateway-client.js";
import { connectCli } from "../../../client/one-shot.js";
import { lossNotice, reconnect, watchLoss } from "../../../client/reconnect.js";
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
    const connect = async () =>
      (await connectCli({ ...flags, caps: flags.follow ? ["inspect"] : [] })).client;
    let client: GatewayClient | null;
    try {
      client = await connect();
    } catch (error) {
      this.error((error as Error).message, { exit: 1 });
    }
    const stop = new AbortController();
    const onStop = () => {
      stop.abort();
      void client?.close();
    };
    if (flags.follow) {
      process.once("SIGINT", onStop);
      process.once("SIGTERM", onStop);
    }
    try {
      while (client !== null && !stop.signal.aborted) {
        const loss = flags.follow ? watchLoss(client) : null;
        try {
          await this.printSnapshot(client, flags.timeout, flags.json);
        } catch (error) {
          if (!loss || stop.signal.aborted) throw error;
          // Closed (if it is not already) so the loss below is certain to come.
          await client.close();
        }
        // After the tree: the transitions that follow it.
        client.on("event", (frame) => {
          if (frame.event !== "inspect") return;
          for (const change of (frame.payload as { transitions: InspectTransition[] }).transitions) {
            this.line(flags.json ? JSON.stringify(change) : renderTransition(change));
          }
        });
        if (!loss) break;
        const lost = await loss;
        if (stop.signal.aborted) break;
        this.errLine(lossNotice(lost, "reconnecting when it is back."));
        client = await reconnect(connect, { signal: stop.signal });
      }
    } catch (error) {
      if (!stop.signal.aborted) this.error((error as Error).message, { exit: 1 });
    } finally {
      process.off("SIGINT", onStop);
      process.off("SIGTERM", onStop);
      await client?.close();
    }
  }

  private async printSnapshot(client: GatewayClient, timeoutMs: number, json: boolean): Promise<void> {
    const snapshot = await client.request<{ ts: number; actors: ActorTreeNode[] }>(
      "inspect.snapshot",
      {},
      { timeoutMs },
    );
    if (json) this.line(JSON.stringify(snapshot));
    else renderActorTree(snapshot.actors).forEach((line) => this.line(line));
  }
}
