import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  killAll,
  localConfig,
  makeTempHome,
  runCli,
  startGateway,
  type GatewayProcess,
  type TempHome,
} from "./helpers/gateway-process.js";
import { installFakeSystemctl, stopFakeUnits } from "./helpers/fake-systemctl.js";
import { freePort } from "./helpers/start-tools.js";

jest.setTimeout(120_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed CLI JSON, asserted field by field
type Json = any;

/**
 * The service lifecycle end to end through the real CLI, with a stand-in systemctl that really
 * starts and stops the unit's ExecStart: runs on any machine, including CI without systemd.
 */
describe("gateway service lifecycle (stand-in systemctl --user)", () => {
  let home: TempHome;
  let port: number;
  let fakeState: string;
  const foreground: GatewayProcess[] = [];
  const unit = "coderclaw-gateway.service";
  const cli = (...args: string[]) => runCli(args, home.env, 60_000);
  const servicePid = () => Number(fs.readFileSync(path.join(fakeState, `${unit}.pid`), "utf8"));

  beforeEach(async () => {
    home = makeTempHome();
    home.env.TMPDIR = os.tmpdir();
    port = await freePort();
    home.writeConfig(localConfig({ port }));
    const bin = path.join(home.home, "fake-bin");
    fakeState = path.join(home.home, "fake-systemd");
    installFakeSystemctl(bin, fakeState);
    home.env.PATH = `${bin}${path.delimiter}${process.env.PATH ?? ""}`;
    home.env.USER = "alice";
  });

  afterEach(async () => {
    await Promise.all(foreground.splice(0).map((gateway) => gateway.stop()));
    stopFakeUnits(fakeState);
    await killAll();
    home.cleanup();
  });

  it("install enables and starts the unit, waits until ready, and points out lingering", async () => {
    // Installed from a shell that exports its own token: the service gateway takes the one this CLI sends.
    home.env.CODERCLAW_GATEWAY_TOKEN = "shell-token-0123456789abcdef";
    const { code, stdout, stderr } = await cli("gateway", "install");
    expect({ code, stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(stdout).toContain(
      `Installed systemd service: ${path.join(home.home, ".config", "systemd", "user", unit)}\n`,
    );
    expect(stdout).toContain(`Gateway is ready on ws://127.0.0.1:${port}\n`);
    expect(stderr).toContain("Lingering is off for alice: the gateway stops when you log out.");
    expect(stderr).toContain("sudo loginctl enable-linger alice");

    const status = await cli("gateway", "status");
    expect(status.stdout).toContain("Service: systemd (enabled)\n");
    expect(status.stdout).toMatch(
      new RegExp(`^Runtime: running \\(pid ${servicePid()}, state active, sub running`, "m"),
    );
    expect(status.stdout).toContain("RPC probe: ok\n");
    expect(status.stdout).toContain("Auth: token (env CODERCLAW_GATEWAY_TOKEN)\n");
    expect(status.stderr).not.toContain("Service config issue");
    // A shell without it sends the config's token, which that gateway does not take; status says why.
    const { CODERCLAW_GATEWAY_TOKEN: _shellToken, ...configOnly } = home.env;
    const mismatch = await runCli(["gateway", "status"], configOnly, 60_000);
    expect(mismatch.stderr).toContain("Service config issue: Config token differs from service token");
    expect(mismatch.stderr).toContain("RPC probe: failed");
    const overview: Json = JSON.parse((await cli("status", "--json")).stdout);
    expect(overview.gatewayService).toMatchObject({
      installed: true,
      loaded: true,
      runtime: { status: "running" },
    });
    expect(overview.gateway.reachable).toBe(true);
  });

  it("install --json reports installed; a second install is already-installed (exit 0)", async () => {
    const first: Json = JSON.parse((await cli("gateway", "install", "--json")).stdout);
    expect(first).toMatchObject({
      ok: true,
      action: "install",
      result: "installed",
      service: { label: unit, loaded: true, loadedText: "enabled" },
    });
    expect(first.message).toContain(`Gateway is ready on ws://127.0.0.1:${port}`);
    expect(first.warnings).toEqual(["Lingering is off for alice: the gateway stops when you log out."]);
    const again = await cli("gateway", "install", "--json");
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      ok: true,
      result: "already-installed",
      message: "Gateway service already enabled.",
    });
  });

  it("restart brings up a new instance; stop stops it; start brings it back", async () => {
    await cli("gateway", "install");
    const firstPid = servicePid();
    const restart = await cli("gateway", "restart");
    expect(restart.code).toBe(0);
    expect(restart.stdout).toContain(
      `Restarted systemd service: ${unit}\nGateway is ready on ws://127.0.0.1:${port}\n`,
    );
    expect(servicePid()).not.toBe(firstPid);

    const stop: Json = JSON.parse((await cli("gateway", "stop", "--json")).stdout);
    expect(stop).toMatchObject({
      ok: true,
      action: "stop",
      result: "stopped",
      message: `Stopped systemd service: ${unit}`,
    });
    const stopped = await cli("gateway", "status");
    expect(stopped.stdout).toMatch(/^Runtime: stopped \(state inactive, sub dead/m);
    expect(stopped.stderr).toContain("RPC probe: failed");

    const start: Json = JSON.parse((await cli("gateway", "start", "--json")).stdout);
    expect(start).toMatchObject({ ok: true, action: "start", result: "started" });
    expect(start.message).toBe(
      `Started systemd service: ${unit}\nGateway is ready on ws://127.0.0.1:${port}`,
    );
  });

  it("a gateway that exits right away is reported as crashed, exit 1", async () => {
    // Reload off: the running gateway must not react to the edit below before the restart does.
    home.writeConfig(localConfig({ port, reload: { mode: "off" } }));
    await cli("gateway", "install");
    // The service's next start is refused.
    home.writeConfig(localConfig({ port, mode: "remote", reload: { mode: "off" } }));
    const { code, stdout, stderr } = await cli("gateway", "restart");
    expect(code).toBe(1);
    expect(stdout).toContain(`Restarted systemd service: ${unit}`);
    expect(stderr).toContain(
      "Gateway restarted but exited immediately.\n  Check gateway logs for details.\n",
    );
    expect(stderr).toContain(`Logs: journalctl --user -u ${unit} -n 200 --no-pager`);
    const json: Json = JSON.parse((await cli("gateway", "start", "--json")).stdout);
    expect(json).toMatchObject({ ok: false, action: "start", result: "crashed" });
    expect(json.error).toMatch(/^Gateway started but exited immediately\./);
  });

  it("start stops a stale foreground gateway that holds the service's port first", async () => {
    await cli("gateway", "install");
    await cli("gateway", "stop");
    const stale = await startGateway(home.env, ["gateway"]);
    foreground.push(stale);
    const { code, stdout } = await cli("gateway", "start");
    expect(code).toBe(0);
    expect(stdout).toContain(`Stopped stale gateway process(es) on port ${port}: ${stale.child.pid}`);
    expect(stdout).toContain(`Gateway is ready on ws://127.0.0.1:${port}`);
    expect((await stale.exited).code).toBe(0);
  });

  it("start/stop before install: not loaded, with hints, exit 0", async () => {
    const start = await cli("gateway", "start");
    expect(start.code).toBe(0);
    expect(start.stdout).toContain("Gateway service disabled.\n");
    expect(start.stderr).toContain("Start with: coderclaw gateway install\n");
    expect(start.stderr).toContain(`Start with: systemctl --user enable --now ${unit}\n`);
    const stop: Json = JSON.parse((await cli("gateway", "stop", "--json")).stdout);
    expect(stop).toMatchObject({ ok: true, result: "not-loaded" });
  });

  it("uninstall stops, disables and removes the unit", async () => {
    await cli("gateway", "install");
    const pid = servicePid();
    const result: Json = JSON.parse((await cli("gateway", "uninstall", "--json")).stdout);
    expect(result).toMatchObject({
      ok: true,
      action: "uninstall",
      result: "uninstalled",
      service: { loaded: false },
    });
    expect(fs.existsSync(path.join(home.home, ".config", "systemd", "user", unit))).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
