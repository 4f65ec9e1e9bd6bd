import { gatewayProgramArguments } from "../src/service/program-args.js";
import { auditService, tokenDriftIssue, type TokenSources } from "../src/service/service-audit.js";
import { buildServiceEnvironment } from "../src/service/service-env.js";
import type { ServiceDefinition } from "../src/service/service-manager.js";
import { parseLaunchdPlist, renderLaunchdPlist } from "../src/service/launchd-plist.js";
import { parseSystemdUnit, renderSystemdUnit } from "../src/service/systemd-unit.js";

const env = { HOME: "/home/alice", TMPDIR: "/tmp" };

/** A unit exactly as `gateway install` writes it, then edited by `edit`, parsed back like status does. */
function systemdDefinition(
  edit: (unit: string) => string = (unit) => unit,
  options: { token?: string; execPath?: string } = {},
): ServiceDefinition {
  const execPath = options.execPath ?? "/usr/bin/node";
  const unit = renderSystemdUnit({
    description: "CoderClaw Gateway (v1.2.3)",
    programArguments: gatewayProgramArguments({
      port: 18789,
      execPath,
      cliEntry: "/opt/coderclaw/bin/run.js",
    }),
    environment: buildServiceEnvironment({
      env,
      port: 18789,
      token: options.token ?? null,
      version: "1.2.3",
      platform: "linux",
      execPath,
    }),
  });
  const parsed = parseSystemdUnit(edit(unit));
  return {
    command: { programArguments: parsed.programArguments, environment: parsed.environment, sourcePath: "/x" },
    systemd: parsed,
  };
}

const codes = (definition: ServiceDefinition, tokens?: TokenSources, platform: NodeJS.Platform = "linux") =>
  auditService(definition, { ...(tokens ? { tokens } : {}), platform }).issues.map((i) => i.code);

describe("service drift audit (REFERENCE §4.6)", () => {
  it("finds nothing wrong with a freshly installed unit", () => {
    expect(auditService(systemdDefinition(), { platform: "linux" })).toEqual({ ok: true, issues: [] });
  });

  it("flags a unit that does not run the gateway command (aggressive)", () => {
    const definition = systemdDefinition((unit) => unit.replace(" gateway --port", " status --port"));
    const issue = auditService(definition, { platform: "linux" }).issues[0];
    expect(issue).toMatchObject({ code: "gateway-command-missing", level: "aggressive" });
  });

  it("flags token drift when the unit pins a token other than the config's, without printing either", () => {
    const definition = systemdDefinition(undefined, { token: "old-token-111" });
    const audit = auditService(definition, { tokens: { config: "new-token-222" }, platform: "linux" });
    expect(audit.ok).toBe(false);
    expect(audit.issues).toEqual([
      expect.objectContaining({
        code: "gateway-token-drift",
        message: "Config token differs from service token",
      }),
    ]);
    expect(JSON.stringify(audit)).not.toMatch(/old-token-111|new-token-222/);
  });

  it("flags a shell token the service does not carry: its gateway reads the config's", () => {
    const issue = tokenDriftIssue({ env: "shell-token", config: "config-token" }, {});
    expect(issue).toMatchObject({
      code: "gateway-token-drift",
      message: "CODERCLAW_GATEWAY_TOKEN differs from service token",
    });
    expect(issue?.detail).toContain("from this shell to pin CODERCLAW_GATEWAY_TOKEN");
  });

  it("no drift when both sides pick the same token, or when either side has none", () => {
    expect(codes(systemdDefinition(undefined, { token: "same" }), { config: "same" })).toEqual([]);
    // Unpinned: the service gateway reads the config, as the CLI does.
    expect(codes(systemdDefinition(), { config: "config-token" })).toEqual([]);
    expect(
      codes(systemdDefinition(undefined, { token: "shell" }), { env: "shell", config: "other" }),
    ).toEqual([]);
    expect(codes(systemdDefinition(undefined, { token: "unit-token" }))).toEqual([]);
    expect(tokenDriftIssue({ env: "a" }, { CODERCLAW_GATEWAY_TOKEN: "b" })?.code).toBe("gateway-token-drift");
  });

  it("flags a missing PATH, missing system dirs and version-manager dirs", () => {
    expect(codes(systemdDefinition((unit) => unit.replace(/^Environment=PATH=.*\n/m, "")))).toEqual([
      "gateway-path-missing",
    ]);
    expect(
      codes(
        systemdDefinition((unit) =>
          unit.replace(/^Environment=PATH=.*$/m, "Environment=PATH=/usr/local/bin"),
        ),
      ),
    ).toEqual(["gateway-path-missing-dirs"]);
    const withNvm = systemdDefinition((unit) =>
      unit.replace(/^Environment=PATH=/m, "Environment=PATH=/home/alice/.nvm/versions/node/v20/bin:"),
    );
    expect(auditService(withNvm, { platform: "linux" }).issues).toEqual([
      expect.objectContaining({
        code: "gateway-path-nonminimal",
        detail: "/home/alice/.nvm/versions/node/v20/bin",
      }),
    ]);
  });

  it("flags bun and Node from a version manager", () => {
    expect(codes(systemdDefinition(undefined, { execPath: "/home/alice/.bun/bin/bun" }))).toContain(
      "gateway-runtime-bun",
    );
    expect(
      codes(systemdDefinition(undefined, { execPath: "/home/alice/.nvm/versions/node/v20/bin/node" })),
    ).toEqual(["gateway-runtime-node-version-manager"]);
  });

  it("flags systemd units without network-online ordering or with another RestartSec", () => {
    const edited = systemdDefinition((unit) =>
      unit
        .replace("After=network-online.target\n", "")
        .replace("Wants=network-online.target\n", "")
        .replace("RestartSec=5", "RestartSec=30"),
    );
    expect(codes(edited)).toEqual([
      "systemd-after-network-online",
      "systemd-wants-network-online",
      "systemd-restart-sec",
    ]);
  });

  it("flags a systemd unit edited to Restart=no or another KillMode, and one missing both", () => {
    const edited = systemdDefinition((unit) =>
      unit.replace("Restart=always", "Restart=no").replace("KillMode=process", "KillMode=mixed"),
    );
    expect(auditService(edited).issues.filter((issue) => issue.code.startsWith("systemd-"))).toEqual([
      expect.objectContaining({ code: "systemd-restart", detail: "Restart=no" }),
      expect.objectContaining({ code: "systemd-kill-mode", detail: "KillMode=mixed" }),
    ]);
    const bare = systemdDefinition((unit) =>
      unit.replace("Restart=always\n", "").replace("KillMode=process\n", ""),
    );
    expect(codes(bare)).toEqual(["systemd-restart", "systemd-kill-mode"]);
  });

  it("flags LaunchAgents without RunAtLoad or KeepAlive", () => {
    const xml = renderLaunchdPlist({
      label: "ai.coderclaw.gateway",
      comment: "c",
      programArguments: ["/usr/bin/node", "/opt/coderclaw/bin/run.js", "gateway", "--port", "18789"],
      environment: buildServiceEnvironment({
        env,
        port: 18789,
        version: "1",
        platform: "darwin",
        execPath: "/usr/bin/node",
      }),
      stdoutPath: "/o",
      stderrPath: "/e",
    });
    const plist = parseLaunchdPlist(
      xml
        .replace("<key>RunAtLoad</key>\n    <true/>", "<key>RunAtLoad</key>\n    <false/>")
        .replace("<key>KeepAlive</key>\n    <true/>", ""),
    );
    const definition: ServiceDefinition = {
      command: { programArguments: plist.programArguments, environment: plist.environment, sourcePath: "/x" },
      launchd: plist,
    };
    expect(codes(definition, undefined, "darwin")).toEqual(["launchd-run-at-load", "launchd-keep-alive"]);
  });
});
