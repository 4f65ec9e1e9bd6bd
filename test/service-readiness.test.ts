import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { pidAlive, probeReadyz, recentLogErrors, waitForReadiness } from "../src/service/readiness.js";
import {
  CLI,
  killAll,
  localConfig,
  makeTempHome,
  startGateway,
  type TempHome,
} from "./helpers/gateway-process.js";
import { freePort } from "./helpers/start-tools.js";

function listen(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  return new Promise((resolve) => {
    const server = http.createServer(handler);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({ server, port: typeof address === "object" && address ? address.port : 0 });
    });
  });
}

describe("readiness: waiting for a new gateway instance", () => {
  const homes: TempHome[] = [];
  const newHome = () => {
    const home = makeTempHome();
    homes.push(home);
    return home;
  };
  afterEach(async () => {
    await killAll();
    homes.splice(0).forEach((home) => home.cleanup());
  });

  it("reports ready for a real gateway", async () => {
    const home = newHome();
    home.writeConfig(localConfig());
    const gateway = await startGateway(home.env);
    const result = await waitForReadiness({
      port: gateway.port,
      timeoutMs: 5_000,
      isAlive: async () => pidAlive(gateway.child.pid!),
    });
    expect(result).toMatchObject({ outcome: "ready", state: "ready", url: `ws://127.0.0.1:${gateway.port}` });
    await gateway.stop();
  });

  it("reports crashed, with the logged errors, for a process that dies", async () => {
    const home = newHome();
    const logFile = path.join(home.stateDir, "logs", "gateway.log");
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    const old = {
      level: "error",
      message: "from an earlier run",
      timestamp: new Date(Date.now() - 60_000).toISOString(),
    };
    fs.writeFileSync(logFile, `${JSON.stringify(old)}\n`);
    const since = Date.now();
    const child = spawn(process.execPath, [
      "-e",
      `require("fs").appendFileSync(${JSON.stringify(logFile)}, JSON.stringify({level:"error",subsystem:"gateway",message:"boom: bad thing",timestamp:new Date().toISOString()})+"\\n"); setTimeout(() => process.exit(1), 200)`,
    ]);
    const result = await waitForReadiness({
      port: await freePort(),
      timeoutMs: 10_000,
      isAlive: async () => child.exitCode === null && pidAlive(child.pid!),
      logFile,
      since,
    });
    expect(result).toMatchObject({
      outcome: "crashed",
      detail: "process exited",
      errors: ["[gateway] boom: bad thing"],
    });
  });

  it("reports crashed for a gateway that refuses to start (port never opens)", async () => {
    const home = newHome();
    home.writeConfig({ gateway: { auth: { token: "t" } } }); // gateway.mode unset: start is blocked
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, "gateway", "--port", String(port)], {
      env: home.env,
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    const result = await waitForReadiness({
      port,
      timeoutMs: 10_000,
      isAlive: async () => child.exitCode === null,
    });
    expect(result.outcome).toBe("crashed");
    await exited;
  });

  it("without liveness information, a port that stays closed past the settle time is a crash", async () => {
    const result = await waitForReadiness({ port: await freePort(), timeoutMs: 5_000, settleMs: 300 });
    expect(result).toMatchObject({ outcome: "crashed", detail: "port closed", state: null });
  });

  it("reports still-starting with the state while /readyz answers 503", async () => {
    const { server, port } = await listen((_req, res) => {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ ready: false, state: "starting" }));
    });
    try {
      const progress: Array<string | null> = [];
      const result = await waitForReadiness({
        port,
        timeoutMs: 700,
        isAlive: async () => true,
        onProgress: ({ state }) => progress.push(state),
      });
      expect(result).toMatchObject({ outcome: "still-starting", state: "starting" });
      expect(progress.length).toBeGreaterThan(1);
      expect(await probeReadyz("127.0.0.1", port)).toEqual({
        kind: "not-ready",
        state: "starting",
        status: 503,
      });
    } finally {
      server.close();
    }
  });

  it("recentLogErrors keeps error lines at or after `since`, skipping other levels and non-JSON", () => {
    const home = newHome();
    const file = path.join(home.home, "gateway.log");
    const now = Date.now();
    const line = (level: string, message: string, at: number) =>
      JSON.stringify({ level, message, timestamp: new Date(at).toISOString() });
    fs.writeFileSync(
      file,
      [
        line("error", "old", now - 5_000),
        "not json",
        line("info", "fine", now),
        line("error", "new", now + 1),
        "",
      ].join("\n"),
    );
    expect(recentLogErrors(file, now)).toEqual(["new"]);
    expect(recentLogErrors(file)).toEqual(["old", "new"]);
    expect(recentLogErrors(path.join(home.home, "missing.log"))).toEqual([]);
  });
});
