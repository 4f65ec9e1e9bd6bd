import { killAll, makeTempHome, runCli, type TempHome } from "./helpers/gateway-process.js";

describe("coderclaw help, -h and mistyped commands", () => {
  let home: TempHome;

  beforeEach(() => {
    home = makeTempHome();
  });
  afterEach(async () => {
    await killAll();
    home.cleanup();
  });

  const GATEWAY_SUMMARY = "Run the gateway in the foreground (same as `gateway run`).";
  const STATUS_SUMMARY =
    "Show the gateway service, its config, where it listens, its runtime and whether it answers RPC.";

  it.each([
    [["help", "gateway"], GATEWAY_SUMMARY, "$ coderclaw gateway [--profile <value>]"],
    [["gateway", "-h"], GATEWAY_SUMMARY, "$ coderclaw gateway [--profile <value>]"],
    [["help", "gateway", "status"], STATUS_SUMMARY, "$ coderclaw gateway status [--profile <value>]"],
    [["gateway", "status", "-h"], STATUS_SUMMARY, "$ coderclaw gateway status [--profile <value>]"],
  ])("coderclaw %j prints that command's help and exits 0", async (args, summary, usage) => {
    const result = await runCli(args, home.env);
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toBe(summary);
    expect(result.stdout).toContain(`USAGE\n  ${usage}`);
    expect(result.stdout).not.toContain("listening on");
    expect(result.stderr).toBe("");
  });

  it("coderclaw -h and coderclaw help list the commands, help among them", async () => {
    for (const args of [["-h"], ["help"]]) {
      const result = await runCli(args, home.env);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("USAGE\n  $ coderclaw [COMMAND]");
      expect(result.stdout).toMatch(/^ {2}doctor +\S/m);
      expect(result.stdout).toMatch(/^ {2}help +Show help for a command or topic/m);
    }
  });

  it("a mistyped command says it is not one, suggests the closest, space-separated, and exits 2", async () => {
    const result = await runCli(["gateway", "statsu"], home.env);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      "`coderclaw gateway statsu` is not a command.",
      "Did you mean: coderclaw gateway status?",
      "See the commands: coderclaw --help",
    ]);
    expect(result.stderr).not.toContain("gateway:statsu");
  });

  it("the suggestion keeps the profile, and `help` of a mistyped command suggests too", async () => {
    const profiled = await runCli(["--profile", "work", "doctr", "--fix"], home.env);
    expect(profiled.code).toBe(2);
    expect(profiled.stderr).toContain("Did you mean: coderclaw --profile work doctor?");
    const help = await runCli(["help", "gateway", "stauts"], home.env);
    expect(help.code).toBe(2);
    expect(help.stderr).toContain("Did you mean: coderclaw gateway status?");
  });

  it("nothing close is suggested for a word far from every command", async () => {
    const result = await runCli(["xyzzy"], home.env);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      "`coderclaw xyzzy` is not a command.",
      "See the commands: coderclaw --help",
    ]);
  });
});
