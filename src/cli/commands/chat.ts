import { Flags } from "@oclif/core";
import readline from "node:readline";
import { AgentTurn, replyText } from "../../client/agent-turn.js";
import type { GatewayClient } from "../../client/gateway-client.js";
import { connectCli } from "../../client/one-shot.js";
import type { SessionDefaults } from "../../protocol/hello.js";
import { OperatorCommand } from "../operator-command.js";
import { agentTargetFlags } from "./agent.js";

const CONNECT_TIMEOUT_MS = 10_000;

const HELP = [
  "/new              start a fresh transcript in this session",
  "/abort            stop the reply being written",
  "/session <key>    switch to another session (and show its history)",
  "/help             this list",
  "/quit             leave (also Ctrl-D)",
];

interface HistoryMessage {
  role?: string;
  content?: { type?: string; text?: string }[];
}

/** The interactive loop: one line in, one streamed reply out; slash commands act on the session. */
export default class Chat extends OperatorCommand {
  static override summary = "Chat with an agent through the gateway: history, streamed replies, /commands.";
  static override description =
    "Reads one message per line (from a terminal or a pipe). Commands: /new, /abort, /session <key>, /help, /quit.";
  static override flags = {
    ...agentTargetFlags,
    session: Flags.string({ description: "Session key (default: the agent's main session)." }),
    agent: Flags.string({ description: "Agent id (default: the gateway's default agent)." }),
    history: Flags.integer({
      description: "How many earlier turns to show on start.",
      default: 10,
      min: 0,
      max: 500,
    }),
  };

  private client!: GatewayClient;
  private sessionKey = "";
  private agentId: string | undefined;
  private active: AgentTurn | null = null;

  async run(): Promise<void> {
    const { flags } = await this.parse(Chat);
    this.applyProfile(flags.profile);
    this.requireUrlCredentials(flags);
    try {
      ({ client: this.client } = await connectCli({ ...flags, timeout: CONNECT_TIMEOUT_MS }));
    } catch (error) {
      this.fail((error as Error).message);
    }
    const defaults = (this.client.hello?.snapshot as { sessionDefaults?: SessionDefaults } | undefined)
      ?.sessionDefaults;
    this.agentId = flags.agent;
    this.sessionKey =
      flags.session ??
      (flags.agent
        ? `agent:${flags.agent}:${defaults?.mainKey ?? "main"}`
        : (defaults?.mainSessionKey ?? "agent:main:main"));
    const lost = new Promise<string>((resolve) =>
      this.client.once("close", (code, reason) =>
        resolve(`gateway closed (${code}): ${reason || "no reason"}`),
      ),
    );
    try {
      await this.showSession(flags.history);
      const outcome = await Promise.race([this.loop(flags.history), lost.then((reason) => ({ reason }))]);
      if (typeof outcome === "object") this.fail(outcome.reason);
      if (outcome === "interrupted") this.exit(130);
    } finally {
      await this.client.close();
    }
  }

  /** Reads lines until /quit, end of input or Ctrl-C; `/abort` acts at once, the rest in order. */
  private loop(historyTurns: number): Promise<"quit" | "interrupted"> {
    const tty = Boolean(process.stdin.isTTY);
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: tty });
    rl.setPrompt("> ");
    const queue: string[] = [];
    let working = false;
    let ended = false;
    return new Promise((resolve) => {
      const finish = (how: "quit" | "interrupted") => {
        ended = true;
        rl.close();
        // Input still open (/quit typed into a pipe) would keep the process alive.
        process.stdin.destroy();
        resolve(how);
      };
      const prompt = () => {
        if (tty && !ended) rl.prompt();
      };
      const drain = async () => {
        if (working) return;
        working = true;
        while (queue.length > 0 && !ended) {
          const line = queue.shift() as string;
          if (line === "/quit" || line === "/exit") return finish("quit");
          await this.handle(line, historyTurns);
        }
        working = false;
        if (closedInput && !ended) finish("quit");
        else prompt();
      };
      let closedInput = false;
      rl.on("line", (raw) => {
        const line = raw.trim();
        if (line === "") return prompt();
        if (line === "/abort") {
          void this.abort();
          return;
        }
        queue.push(line);
        void drain();
      });
      rl.on("close", () => {
        closedInput = true;
        if (!working && !ended) finish("quit");
      });
      rl.on("SIGINT", () => {
        if (this.active) void this.abort();
        else finish("interrupted");
      });
      process.once("SIGINT", () => (this.active ? void this.abort() : finish("interrupted")));
      prompt();
    });
  }

  private async handle(line: string, historyTurns: number): Promise<void> {
    if (line === "/help") return HELP.forEach((text) => this.line(text));
    if (line === "/new") {
      try {
        const reset = await this.client.request<{ sessionId: string | null }>("sessions.reset", {
          key: this.sessionKey,
        });
        this.line(`New session: ${this.sessionKey}${reset.sessionId ? ` (${reset.sessionId})` : ""}`);
      } catch (error) {
        this.errLine(`error: ${(error as Error).message}`);
      }
      return;
    }
    if (line === "/session" || line.startsWith("/session ")) {
      const key = line.slice("/session".length).trim();
      if (key === "") return this.line(`Session: ${this.sessionKey}`);
      this.sessionKey = key;
      this.agentId = undefined;
      return this.showSession(historyTurns);
    }
    if (line.startsWith("/")) {
      this.errLine(`Unknown command ${line.split(/\s/)[0]}; /help lists them.`);
      return;
    }
    await this.send(line);
  }

  private async send(message: string): Promise<void> {
    const turn = new AgentTurn(
      this.client,
      { message, sessionKey: this.sessionKey, ...(this.agentId ? { agentId: this.agentId } : {}) },
      (text) => process.stdout.write(text),
    );
    this.active = turn;
    try {
      const result = await turn.run(0);
      if (turn.text === "") process.stdout.write(replyText(result, ""));
      process.stdout.write("\n");
    } catch (error) {
      if (turn.text !== "") process.stdout.write("\n");
      this.errLine(`error: ${(error as Error).message}`);
    } finally {
      this.active = null;
    }
  }

  private async abort(): Promise<void> {
    const turn = this.active;
    if (!turn) return this.line("Nothing to abort.");
    try {
      await turn.abort();
    } catch (error) {
      this.errLine(`error: ${(error as Error).message}`);
    }
  }

  private async showSession(historyTurns: number): Promise<void> {
    this.line(`Session: ${this.sessionKey}`);
    if (historyTurns === 0) return;
    try {
      const history = await this.client.request<{ messages: HistoryMessage[] }>("chat.history", {
        sessionKey: this.sessionKey,
        limit: Math.min(1000, historyTurns * 2),
      });
      for (const message of history.messages) {
        const text = (message.content ?? []).map((part) => part.text ?? "").join("");
        this.line(`${message.role ?? "?"}: ${text}`);
      }
    } catch (error) {
      this.errLine(`error: history unavailable: ${(error as Error).message}`);
    }
  }
}
