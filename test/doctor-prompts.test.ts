import fs from "node:fs";
import JSON5 from "json5";
import { runDoctor } from "../src/doctor/run-doctor.js";
import { makeTempHome, TEST_TOKEN, type TempHome } from "./helpers/gateway-process.js";
import { freePort } from "./helpers/doctor-fixtures.js";

describe("runDoctor repair consent", () => {
  let home: TempHome;
  let port: number;
  const mode = () => JSON5.parse(fs.readFileSync(home.configPath, "utf8")).gateway.mode;

  beforeEach(async () => {
    home = makeTempHome();
    port = await freePort();
    home.writeConfig({ gateway: { port, auth: { token: TEST_TOKEN } } });
  });
  afterEach(() => home.cleanup());

  const run = (confirm: (question: string) => Promise<boolean>, yes = false) =>
    runDoctor({ env: home.env, repair: true, yes, confirm, probeTimeoutMs: 500 });

  it("asks before each repair when it can, and a no leaves the config as it was", async () => {
    const questions: string[] = [];
    const report = await run(async (question) => {
      questions.push(question);
      return false;
    });
    expect(questions).toEqual([`Set gateway.mode to "local" in ${home.configPath}?`]);
    expect(report.skipped).toEqual([expect.objectContaining({ id: "gateway.mode", outcome: "declined" })]);
    expect(report.ok).toBe(false);
    expect(mode()).toBeUndefined();
  });

  it("a yes applies the repair, and later checks see the repaired config", async () => {
    const report = await run(async () => true);
    expect(report.repaired).toEqual([expect.objectContaining({ id: "gateway.mode", outcome: "repaired" })]);
    expect(report.ok).toBe(true);
    expect(mode()).toBe("local");
  });

  it("--yes never asks", async () => {
    const confirm = jest.fn(async () => false);
    await run(confirm, true);
    expect(confirm).not.toHaveBeenCalled();
    expect(mode()).toBe("local");
  });
});
