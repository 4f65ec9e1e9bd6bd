import { Flags } from "@oclif/core";
import { AgentTurn, replyText, type AgentTurnResult } from "../../client/agent-turn.js";
import type { GatewayClient } from "../../client/gateway-client.js";
import { connectCli } from "../../client/one-shot.js";
import { connectionFlags } from "../base-command.js";
import { OperatorCommand } from "../operator-command.js";

const CONNECT_TIMEOUT_MS = 10_000;
/** How long the CLI waits past the run's own timeout before giving up on the final answer. */
const FINAL_GRACE_MS = 30_000;
/** After Ctrl-C, how long the abort may take before the CLI leaves anyway. */
const ABORT_GRACE_MS = 5_000;

export const agentTargetFlags = {
  url: connectionFlags.url,
  port: connectionFlags.port,
  token: connectionFlags.token,
  password: connectionFlags.password,
};

export default class Agent extends OperatorCommand {
  static override summary = "Run one agent turn through the gateway and stream the reply.";
  static override description =
    "Prints the reply as it arrives. Exit code 0 when the run completed; 1 with the error when it failed or timed out; 130 after Ctrl-C (which aborts the run).";
  static override examples = [
    '<%= config.bin %> agent --message "Summarize the logs"',
    '<%= config.bin %> agent --agent ops --session agent:ops:main --message "status?" --json',
  ];
  static override flags = {
    ...agentTargetFlags,
    message: Flags.string({ char: "m", description: "The message to send.", required: true }),
    agent: Flags.string({ description: "Agent id (default: the gateway's default agent)." }),
    session: Flags.string({ description: "Session key (default: the agent's main session)." }),
    deliver: Flags.boolean({ description: "Send the reply back to the session's channel too." }),
    json: Flags.boolean({ description: "Print only the final result object as JSON." }),
    timeout: Flags.integer({
      description: "Seconds the run may take (default: the gateway's agent timeout).",
      min: 1,
      max: 86_400,
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Agent);
    this.applyProfile(flags.profile);
    this.requireUrlCredentials(flags);
    if (flags.message.trim() === "") this.fail("--message must not be empty", 2);

    let client: GatewayClient;
    try {
      ({ client } = await connectCli({ ...flags, timeout: CONNECT_TIMEOUT_MS }));
    } catch (error) {
      this.fail((error as Error).message);
    }
    const streaming = !flags.json;
    const turn = new AgentTurn(
      client,
      {
        message: flags.message,
        ...(flags.agent ? { agentId: flags.agent } : {}),
        ...(flags.session ? { sessionKey: flags.session } : {}),
        deliver: flags.deliver,
        ...(flags.timeout ? { timeoutSeconds: flags.timeout } : {}),
      },
      (text) => {
        if (streaming) process.stdout.write(text);
      },
    );
    let interrupted = false;
    const onInterrupt = () => {
      if (interrupted) return;
      interrupted = true;
      setTimeout(() => void client.close().then(() => process.exit(130)), ABORT_GRACE_MS).unref();
      void turn.abort().catch(() => client.close());
    };
    process.on("SIGINT", onInterrupt);
    // A run without its own timeout is bounded by the gateway's; wait for it without a client limit.
    const waitMs = flags.timeout ? flags.timeout * 1_000 + FINAL_GRACE_MS : 0;
    let result: AgentTurnResult | null = null;
    let failure: Error | null = null;
    try {
      result = await turn.run(waitMs);
    } catch (error) {
      failure = error as Error;
    } finally {
      process.off("SIGINT", onInterrupt);
      await client.close();
    }
    if (streaming && turn.text !== "") process.stdout.write("\n");
    if (interrupted) this.fail(`aborted: ${failure?.message ?? "run stopped"}`, 130);
    if (failure || !result) this.fail(failure?.message ?? "no result");
    if (flags.json) {
      this.line(JSON.stringify(result, null, 2));
    } else if (turn.text === "") {
      // Nothing streamed (a gateway that sends no assistant events): print the final text.
      const text = replyText(result, "");
      if (text) this.line(text);
    }
  }
}
