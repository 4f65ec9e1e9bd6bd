import { killSpawned, spawnCli } from "./helpers/cli-process.js";
import {
  killAll,
  localConfig,
  makeTempHome,
  runCli,
  startGateway,
  type GatewayProcess,
  type TempHome,
} from "./helpers/gateway-process.js";

describe("coderclaw agent and coderclaw chat against a gateway with the echo agent", () => {
  let home: TempHome;
  let gateway: GatewayProcess;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    home = makeTempHome();
    home.writeConfig(
      localConfig(
        {},
        {
          providers: { echo: { type: "echo", delayMs: 30 } },
          agents: { list: [{ id: "main", default: true }] },
        },
      ),
    );
    gateway = await startGateway(home.env);
    env = { ...home.env, CODERCLAW_GATEWAY_PORT: String(gateway.port) };
  });
  afterEach(async () => {
    await killSpawned();
  });
  afterAll(async () => {
    await gateway?.stop();
    await killAll();
    home.cleanup();
  });

  it("agent --message prints the reply as it streams and exits 0", async () => {
    const result = await runCli(["agent", "--message", "streamed words arrive in order"], env);
    expect(result).toMatchObject({ code: 0, stdout: "streamed words arrive in order\n", stderr: "" });
  });

  it("agent --json prints only the final result object", async () => {
    const result = await runCli(
      ["agent", "--message", "json please", "--session", "agent:main:json-test", "--json"],
      env,
    );
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout);
    expect(parsed).toEqual({
      runId: expect.any(String),
      status: "ok",
      summary: "completed",
      result: {
        payloads: [{ text: "json please" }],
        meta: expect.objectContaining({ agentId: "main", provider: "echo" }),
      },
    });
  });

  it("agent with an unknown agent id exits 1 with the gateway's error", async () => {
    const result = await runCli(["agent", "--message", "hi", "--agent", "nobody"], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain('unknown agent id "nobody"');
  });

  it("agent --timeout ends a run that takes longer with exit 1 and the error", async () => {
    const words = Array.from({ length: 200 }, (_, i) => `t${i}`).join(" ");
    const result = await runCli(["agent", "--message", words, "--timeout", "1"], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^t0 t1 /);
    expect(result.stdout).not.toContain("t199");
    expect(result.stderr).toMatch(/time/i);
  }, 30_000);

  it("agent exits 130 after Ctrl-C, having aborted the run", async () => {
    const words = Array.from({ length: 200 }, (_, i) => `w${i}`).join(" ");
    const run = spawnCli(["agent", "--message", words, "--session", "agent:main:abort-test"], env);
    await run.waitFor(/w3 /);
    run.child.kill("SIGINT");
    const exit = await run.exited;
    expect(exit.code).toBe(130);
    expect(run.stderr()).toMatch(/^aborted: /m);
    expect(run.stdout()).not.toContain("w199");
    const history = await runCli(
      ["gateway", "call", "chat.history", "--params", '{"sessionKey":"agent:main:abort-test"}'],
      env,
    );
    const messages = JSON.parse(history.stdout.slice(history.stdout.indexOf("{"))).messages as {
      role: string;
      state: string;
    }[];
    expect(messages.at(-1)).toMatchObject({ role: "assistant" });
    expect(messages.at(-1)?.state).not.toBe("final");
  }, 30_000);

  it("chat over stdin: shows history, streams a reply, /new starts over, /quit leaves", async () => {
    const session = "agent:main:chat-test";
    const seeded = await runCli(["agent", "--message", "earlier words", "--session", session], env);
    expect(seeded.code).toBe(0);
    const chat = spawnCli(["chat", "--session", session], env, { stdin: "pipe" });
    await chat.waitFor(/assistant: earlier words\n/);
    expect(chat.stdout().split("\n").slice(0, 3)).toEqual([
      `Session: ${session}`,
      "user: earlier words",
      "assistant: earlier words",
    ]);
    chat.child.stdin?.write("hello from a pipe\n");
    await chat.waitFor(/^hello from a pipe$/m);
    chat.child.stdin?.write("/new\n");
    await chat.waitFor(/^New session: agent:main:chat-test \(/m);
    chat.child.stdin?.write("/quit\nnever sent\n");
    const exit = await chat.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(chat.stdout()).not.toContain("never sent");
    // /new left an empty transcript behind.
    const after = spawnCli(["chat", "--session", session], env, { stdin: "pipe" });
    after.child.stdin?.end();
    expect(await after.exited).toEqual({ code: 0, signal: null });
    expect(after.stdout()).toBe(`Session: ${session}\n`);
  }, 30_000);

  it("chat: /session switches and shows that session's history; /abort stops the reply being written", async () => {
    const other = "agent:main:chat-other";
    expect((await runCli(["agent", "--message", "other words", "--session", other], env)).code).toBe(0);
    const chat = spawnCli(["chat", "--session", "agent:main:chat-first"], env, { stdin: "pipe" });
    await chat.waitFor(/^Session: agent:main:chat-first$/m);
    chat.child.stdin?.write(`/session ${other}\n`);
    await chat.waitFor(/^Session: agent:main:chat-other\nuser: other words\nassistant: other words$/m);
    const words = Array.from({ length: 200 }, (_, i) => `a${i}`).join(" ");
    chat.child.stdin?.write(`${words}\n`);
    await chat.waitFor(/a3 /);
    chat.child.stdin?.write("/abort\n");
    await chat.waitFor(/^error: /m, "stderr");
    chat.child.stdin?.end();
    expect(await chat.exited).toEqual({ code: 0, signal: null });
    expect(chat.stdout()).not.toContain("a199");
  }, 30_000);
});
