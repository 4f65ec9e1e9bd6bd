import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { lockPathFor } from "../src/host/instance-lock.js";
import {
  killAll,
  localConfig,
  makeTempHome,
  runCli,
  startGateway,
  TEST_TOKEN,
  type GatewayProcess,
  type TempHome,
} from "./helpers/gateway-process.js";
import { freePort } from "./helpers/start-tools.js";

jest.setTimeout(90_000);

/** One CLI run; generous because CI machines run several suites (and gateways) at once. */
const CLI_TIMEOUT_MS = 45_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed CLI JSON, asserted field by field
type Json = any;

const homes: TempHome[] = [];
const gateways: GatewayProcess[] = [];
const children: ChildProcess[] = [];
const cleanups: Array<() => void> = [];

function newHome(): TempHome {
  const home = makeTempHome();
  home.env.TMPDIR = os.tmpdir(); // the instance lock lives there; CLI and test must agree
  homes.push(home);
  return home;
}

async function homeWithPort(): Promise<{ home: TempHome; port: number }> {
  const home = newHome();
  const port = await freePort();
  home.writeConfig(localConfig({ port }));
  return { home, port };
}

async function gatewayStatus(home: TempHome, ...args: string[]) {
  const result = await runCli(["gateway", "status", ...args], home.env, CLI_TIMEOUT_MS);
  return result;
}

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.stop()));
  children.splice(0).forEach((child) => child.kill("SIGKILL"));
  cleanups.splice(0).forEach((cleanup) => cleanup());
  await killAll();
  homes.splice(0).forEach((home) => home.cleanup());
});

describe("coderclaw gateway status", () => {
  it("a healthy foreground gateway: Runtime: running (pid, state ready) and RPC probe: ok", async () => {
    const { home, port } = await homeWithPort();
    const gateway = await startGateway(home.env, ["gateway"]);
    gateways.push(gateway);
    const { code, stdout, stderr } = await gatewayStatus(home);
    expect(code).toBe(0);
    expect(stdout).toContain(`Runtime: running (pid ${gateway.child.pid}, state ready)\n`);
    expect(stdout).toContain("RPC probe: ok\n");
    // Where the running gateway listens, from its runtime record (::1 too where the host has IPv6).
    expect(stdout).toMatch(
      new RegExp(
        `^Gateway: bind=loopback \\(127\\.0\\.0\\.1(, ::1)?\\), port=${port} \\(running gateway pid ${gateway.child.pid}\\)$`,
        "m",
      ),
    );
    expect(stdout).toContain(`Probe target: ws://127.0.0.1:${port}\n`);
    expect(stdout).toContain(`Dashboard: http://127.0.0.1:${port}/\n`);
    expect(stdout).toContain(`Config (cli): ${home.configPath}\n`);
    expect(stdout).toContain(`Config (service): ${home.configPath}\n`);
    expect(stdout).toMatch(/^Service: systemd \(/m);
    expect(stdout).toContain("Probe note: Loopback-only gateway; only local clients can connect.");
    expect(stderr).not.toContain("RPC probe: failed");
    // Labels in REFERENCE §1.8 order.
    const order = [
      "Service:",
      "File logs:",
      "Config (cli):",
      "Config (service):",
      "Gateway:",
      "Probe target:",
      "Dashboard:",
      "Runtime:",
      "RPC probe:",
    ];
    const positions = order.map((label) => stdout.indexOf(`${label}`));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(positions.every((p) => p >= 0)).toBe(true);
  });

  it("nothing running: Runtime: stopped, RPC probe: failed, exit 0", async () => {
    const { home, port } = await homeWithPort();
    const { code, stdout, stderr } = await gatewayStatus(home);
    expect(code).toBe(0);
    expect(stdout).toContain("Runtime: stopped\n");
    expect(stderr).toContain("RPC probe: failed\n");
    expect(stderr).toContain(`RPC target: ws://127.0.0.1:${port}\n`);
    expect(stderr).toContain(`nothing is listening on ws://127.0.0.1:${port}`);
  });

  it("--no-probe skips the RPC probe", async () => {
    const { home } = await homeWithPort();
    const text = await gatewayStatus(home, "--no-probe");
    expect(text.code).toBe(0);
    expect(text.stdout + text.stderr).not.toContain("RPC probe");
    const json = await gatewayStatus(home, "--no-probe", "--json");
    expect(JSON.parse(json.stdout)).not.toHaveProperty("rpc");
  });

  it("--json has the REFERENCE §1.8 shape and never the token", async () => {
    const { home, port } = await homeWithPort();
    const gateway = await startGateway(home.env, ["gateway"]);
    gateways.push(gateway);
    // An installed unit must not leak it either.
    expect((await runCli(["gateway", "install", "--json"], home.env, CLI_TIMEOUT_MS)).stdout).not.toContain(
      TEST_TOKEN,
    );
    const { code, stdout } = await gatewayStatus(home, "--json");
    expect(code).toBe(0);
    expect(stdout).not.toContain(TEST_TOKEN);
    const status: Json = JSON.parse(stdout);
    expect(Object.keys(status).sort()).toEqual(
      ["config", "extraServices", "gateway", "port", "rpc", "service"].sort(),
    );
    expect(status.service).toMatchObject({
      label: "coderclaw-gateway.service",
      loaded: expect.any(Boolean),
      loadedText: "enabled",
      notLoadedText: "disabled",
      runtime: { status: "running", state: "ready" },
      configAudit: { ok: true, issues: [] },
    });
    expect(status.service.command.programArguments.slice(2)).toEqual(["gateway", "--port", String(port)]);
    expect(Object.keys(status.service.command.environment).sort()).toEqual(
      ["CODERCLAW_CONFIG_PATH", "CODERCLAW_GATEWAY_PORT", "CODERCLAW_STATE_DIR"].sort(),
    );
    expect(status.config.cli).toMatchObject({ path: home.configPath, exists: true, valid: true });
    expect(status.config).not.toHaveProperty("mismatch");
    expect(status.gateway).toEqual({
      bindMode: "loopback",
      bindHost: expect.stringMatching(/^127\.0\.0\.1(, ::1)?$/),
      port,
      portSource: `running gateway pid ${gateway.child.pid}`,
      auth: { mode: "token", source: "config gateway.auth.token" },
      probeUrl: `ws://127.0.0.1:${port}`,
      probeNote: "Loopback-only gateway; only local clients can connect.",
      tls: { enabled: false, fingerprint: null, certPath: null },
    });
    expect(status.port).toMatchObject({ port, status: "busy" });
    expect(status.rpc).toEqual({ ok: true, url: `ws://127.0.0.1:${port}` });
    expect(status.extraServices).toEqual([]);
  });

  it("a gateway that is still starting shows as starting, never as dead", async () => {
    const { home, port } = await homeWithPort();
    // A live process holds the instance lock, and the port answers /readyz with 503 "starting".
    const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    children.push(holder);
    const lockPath = lockPathFor(home.configPath);
    fs.mkdirSync(path.dirname(lockPath), { recursive: true });
    fs.writeFileSync(
      lockPath,
      JSON.stringify({ pid: holder.pid, createdAt: new Date().toISOString(), configPath: home.configPath }),
    );
    cleanups.push(() => fs.rmSync(lockPath, { force: true }));
    const { stdout: notListening } = await gatewayStatus(home, "--no-probe");
    expect(notListening).toContain(`Runtime: starting (pid ${holder.pid}, not listening yet)\n`);

    const server = http.createServer((_req, res) => {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ ready: false, state: "starting" }));
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    cleanups.push(() => server.close());
    const { code, stdout } = await gatewayStatus(home);
    expect(code).toBe(0);
    expect(stdout).toContain(`Runtime: starting (pid ${holder.pid})\n`);
    const json: Json = JSON.parse((await gatewayStatus(home, "--json")).stdout);
    expect(json.service.runtime).toEqual({ status: "starting", pid: holder.pid });
  });

  it("a stale lock (owner gone) is stopped, not running", async () => {
    const { home } = await homeWithPort();
    const lockPath = lockPathFor(home.configPath);
    fs.mkdirSync(path.dirname(lockPath), { recursive: true });
    fs.writeFileSync(
      lockPath,
      JSON.stringify({ pid: 2 ** 22 + 12345, createdAt: "x", configPath: home.configPath }),
    );
    cleanups.push(() => fs.rmSync(lockPath, { force: true }));
    const { stdout } = await gatewayStatus(home, "--no-probe");
    expect(stdout).toMatch(/^Runtime: stopped \(stale lock \(pid \d+ exited\)\)$/m);
  });

  it("flags token drift between the config and the installed unit", async () => {
    const { home, port } = await homeWithPort();
    await runCli(["gateway", "install", "--token", TEST_TOKEN], home.env, CLI_TIMEOUT_MS);
    home.writeConfig(localConfig({ port, auth: { token: "rotated-token-999" } }));
    const { stdout } = await gatewayStatus(home, "--no-probe", "--json");
    expect(stdout).not.toMatch(/rotated-token-999|test-token-0123456789abcdef/);
    const status: Json = JSON.parse(stdout);
    expect(status.service.configAudit.issues).toEqual([
      expect.objectContaining({ code: "gateway-token-drift", level: "recommended" }),
    ]);
    const text = await gatewayStatus(home, "--no-probe");
    expect(text.stderr).toContain("Service config issue: Config token differs from service token");
  });

  it("lists other gateway-like services; system dirs only with --deep", async () => {
    const { home } = await homeWithPort();
    const userDir = path.join(home.home, ".config", "systemd", "user");
    fs.mkdirSync(userDir, { recursive: true });
    fs.writeFileSync(
      path.join(userDir, "claw-legacy.service"),
      "[Service]\nExecStart=/usr/bin/coderclaw gateway\n",
    );
    fs.writeFileSync(path.join(userDir, "unrelated.service"), "[Service]\nExecStart=/usr/bin/true\n");
    const systemDir = path.join(home.home, "system-units");
    fs.mkdirSync(systemDir);
    fs.writeFileSync(
      path.join(systemDir, "coderclaw-gateway-old.service"),
      "[Service]\nExecStart=/bin/true\n",
    );
    home.env.CODERCLAW_SYSTEMD_SYSTEM_DIR = systemDir;

    const shallow: Json = JSON.parse((await gatewayStatus(home, "--no-probe", "--json")).stdout);
    expect(shallow.extraServices).toEqual([
      {
        label: "claw-legacy",
        scope: "user",
        detail: `gateway-like, ${path.join(userDir, "claw-legacy.service")}`,
      },
    ]);
    const deep = await gatewayStatus(home, "--no-probe", "--deep");
    expect(deep.stderr).toContain("Other gateway-like services detected (best effort):");
    expect(deep.stderr).toContain("- claw-legacy (user, gateway-like,");
    expect(deep.stderr).toContain(`- coderclaw-gateway-old (system, gateway-like, ${systemDir}`);
  });
});

describe("two gateways side by side (profiles a and b)", () => {
  it("gateway status and status with each profile talk to the right gateway", async () => {
    const home = newHome();
    const ports = { a: await freePort(), b: await freePort() };
    for (const profile of ["a", "b"] as const) {
      const configPath = path.join(home.home, `.coderclaw-${profile}`, "coderclaw.json");
      fs.mkdirSync(path.dirname(configPath), { recursive: true });
      fs.writeFileSync(
        configPath,
        JSON.stringify({
          gateway: { mode: "local", port: ports[profile], auth: { token: `token-${profile}` } },
        }),
      );
    }
    const a = await startGateway(home.env, ["--profile", "a", "gateway"]);
    gateways.push(a);
    const b = await startGateway(home.env, ["gateway", "--profile", "b"]);
    gateways.push(b);
    expect([a.port, b.port]).toEqual([ports.a, ports.b]);

    for (const [profile, gateway] of [
      ["a", a],
      ["b", b],
    ] as const) {
      const before = await runCli(
        ["--profile", profile, "gateway", "status", "--json"],
        home.env,
        CLI_TIMEOUT_MS,
      );
      const status: Json = JSON.parse(before.stdout);
      expect(status.gateway.port).toBe(ports[profile]);
      expect(status.rpc).toEqual({ ok: true, url: `ws://127.0.0.1:${ports[profile]}` });
      expect(status.service.label).toBe(`coderclaw-gateway-${profile}.service`);
      expect(status.service.runtime).toMatchObject({
        status: "running",
        pid: gateway.child.pid,
        state: "ready",
      });
      expect(status.config.cli.path).toBe(path.join(home.home, `.coderclaw-${profile}`, "coderclaw.json"));

      const after = await runCli(["gateway", "status", "--profile", profile], home.env, CLI_TIMEOUT_MS);
      expect(after.stdout).toContain(`Runtime: running (pid ${gateway.child.pid}, state ready)`);

      const overview: Json = JSON.parse(
        (await runCli(["--profile", profile, "status", "--json"], home.env, CLI_TIMEOUT_MS)).stdout,
      );
      expect(overview.gateway).toMatchObject({
        url: `ws://127.0.0.1:${ports[profile]}`,
        reachable: true,
        self: { pid: gateway.child.pid, state: "ready" },
      });
      expect(overview.gatewayService.label).toBe(`coderclaw-gateway-${profile}.service`);
    }
  });
});
