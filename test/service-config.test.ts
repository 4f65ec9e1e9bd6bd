import path from "node:path";
import { applyProfileEnv } from "../src/config/paths.js";
import {
  cliEntryPath,
  gatewayProgramArguments,
  portFromProgramArguments,
} from "../src/service/program-args.js";
import { buildServiceEnvironment, safeServiceEnvironment } from "../src/service/service-env.js";
import { launchdLabel, serviceDescription, systemdUnitName } from "../src/service/service-names.js";
import { REPO_ROOT } from "./helpers/gateway-process.js";

describe("service names (REFERENCE §4.1)", () => {
  it("default and per-profile systemd units and launchd labels", () => {
    expect(systemdUnitName({})).toBe("coderclaw-gateway.service");
    expect(systemdUnitName({ CODERCLAW_PROFILE: "default" })).toBe("coderclaw-gateway.service");
    expect(systemdUnitName({ CODERCLAW_PROFILE: "rescue" })).toBe("coderclaw-gateway-rescue.service");
    expect(launchdLabel({})).toBe("ai.coderclaw.gateway");
    expect(launchdLabel({ CODERCLAW_PROFILE: "rescue" })).toBe("ai.coderclaw.rescue");
  });

  it("honours CODERCLAW_SYSTEMD_UNIT and CODERCLAW_LAUNCHD_LABEL", () => {
    expect(systemdUnitName({ CODERCLAW_SYSTEMD_UNIT: "my-gw", CODERCLAW_PROFILE: "x" })).toBe(
      "my-gw.service",
    );
    expect(systemdUnitName({ CODERCLAW_SYSTEMD_UNIT: "my-gw.service" })).toBe("my-gw.service");
    expect(launchdLabel({ CODERCLAW_LAUNCHD_LABEL: "com.example.gw" })).toBe("com.example.gw");
  });

  it("describes the service with its profile and version", () => {
    expect(serviceDescription("1.0.0", {})).toBe("CoderClaw Gateway (v1.0.0)");
    expect(serviceDescription("1.0.0", { CODERCLAW_PROFILE: "dev" })).toBe(
      "CoderClaw Gateway (profile: dev, v1.0.0)",
    );
  });
});

describe("program arguments (REFERENCE §4.2)", () => {
  it("runs this Node and this package's bin/run.js with gateway --port", () => {
    expect(cliEntryPath()).toBe(path.join(REPO_ROOT, "bin", "run.js"));
    expect(gatewayProgramArguments({ port: 18789 })).toEqual([
      process.execPath,
      path.join(REPO_ROOT, "bin", "run.js"),
      "gateway",
      "--port",
      "18789",
    ]);
  });

  it("reads the port back from --port N and --port=N", () => {
    expect(portFromProgramArguments(["node", "x", "gateway", "--port", "19001"])).toBe(19001);
    expect(portFromProgramArguments(["node", "x", "gateway", "--port=19002"])).toBe(19002);
    expect(portFromProgramArguments(["node", "x", "gateway"])).toBeUndefined();
  });
});

describe("service environment (REFERENCE §4.3)", () => {
  it("pins the profile, state dir, config path and port; the token only when given", () => {
    const env: NodeJS.ProcessEnv = { HOME: "/home/alice", TMPDIR: "/tmp" };
    applyProfileEnv("work", env);
    const pinned = buildServiceEnvironment({
      env,
      port: 19100,
      version: "1",
      platform: "linux",
      execPath: "/usr/bin/node",
    });
    expect(pinned).toMatchObject({
      HOME: "/home/alice",
      CODERCLAW_PROFILE: "work",
      CODERCLAW_STATE_DIR: "/home/alice/.coderclaw-work",
      CODERCLAW_CONFIG_PATH: "/home/alice/.coderclaw-work/coderclaw.json",
      CODERCLAW_GATEWAY_PORT: "19100",
      CODERCLAW_SERVICE_MARKER: "coderclaw",
      CODERCLAW_SERVICE_KIND: "gateway",
    });
    expect(pinned).not.toHaveProperty("CODERCLAW_GATEWAY_TOKEN");
    const withToken = buildServiceEnvironment({
      env,
      port: 1,
      token: "t0k",
      version: "1",
      platform: "linux",
    });
    expect(withToken.CODERCLAW_GATEWAY_TOKEN).toBe("t0k");
  });

  it("drops empty values and keeps an explicit CODERCLAW_CONFIG_PATH", () => {
    const env = {
      HOME: "/h",
      TMPDIR: "/tmp",
      CODERCLAW_PROFILE: "  ",
      CODERCLAW_CONFIG_PATH: "/etc/cc.json",
    };
    const pinned = buildServiceEnvironment({ env, port: 1, token: "", version: "1", platform: "linux" });
    expect(pinned).not.toHaveProperty("CODERCLAW_PROFILE");
    expect(pinned).not.toHaveProperty("CODERCLAW_GATEWAY_TOKEN");
    expect(pinned.CODERCLAW_CONFIG_PATH).toBe("/etc/cc.json");
    expect(Object.values(pinned).every((value) => value.length > 0)).toBe(true);
  });

  it("a PATH that starts with Node's own directory and ends with the system dirs", () => {
    const pinned = buildServiceEnvironment({
      env: { HOME: "/h" },
      port: 1,
      version: "1",
      platform: "linux",
      execPath: "/opt/node/bin/node",
    });
    const dirs = (pinned.PATH ?? "").split(":");
    expect(dirs[0]).toBe("/opt/node/bin");
    expect(dirs.slice(-3)).toEqual(["/usr/local/bin", "/usr/bin", "/bin"]);
  });

  it("shows only the safe keys", () => {
    expect(
      safeServiceEnvironment({ CODERCLAW_GATEWAY_TOKEN: "secret", CODERCLAW_STATE_DIR: "/s", PATH: "/bin" }),
    ).toEqual({ CODERCLAW_STATE_DIR: "/s" });
  });
});
