import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseLaunchdPlist, renderLaunchdPlist } from "../src/service/launchd-plist.js";
import { gatewayProgramArguments } from "../src/service/program-args.js";
import { buildServiceEnvironment } from "../src/service/service-env.js";
import { launchdLabel, serviceDescription, systemdUnitName } from "../src/service/service-names.js";
import {
  parseSystemdUnit,
  renderSystemdUnit,
  splitUnitWords,
  type SystemdUnitSpec,
} from "../src/service/systemd-unit.js";
import { expectGolden } from "./helpers/golden.js";

const VERSION = "1.2.3";
const NODE = "/usr/bin/node";

/** What `gateway install` would write for this environment, with every machine-specific input fixed. */
function unitSpec(env: NodeJS.ProcessEnv, options: { token?: string; entry?: string; port?: number } = {}) {
  const port = options.port ?? 18789;
  return {
    description: serviceDescription(VERSION, env),
    programArguments: gatewayProgramArguments({
      port,
      execPath: NODE,
      cliEntry: options.entry ?? "/opt/coderclaw/bin/run.js",
    }),
    environment: buildServiceEnvironment({
      env,
      port,
      token: options.token ?? null,
      version: VERSION,
      platform: "linux",
      execPath: NODE,
      systemdUnit: systemdUnitName(env),
    }),
  };
}

const aliceEnv = { HOME: "/home/alice", TMPDIR: "/tmp" };

const cases: Array<{ name: string; spec: SystemdUnitSpec }> = [
  { name: "systemd-user-default.service", spec: unitSpec(aliceEnv) },
  {
    name: "systemd-user-profile.service",
    spec: unitSpec({ ...aliceEnv, CODERCLAW_PROFILE: "work" }, { token: "tok-0123456789", port: 19101 }),
  },
  { name: "systemd-system.service", spec: { ...unitSpec(aliceEnv), user: "alice" } },
  {
    name: "systemd-quoting.service",
    spec: {
      ...unitSpec(
        { HOME: "/home/al ice", TMPDIR: "/tmp" },
        { entry: '/opt/My Apps/it\'s "claw"\\50%$HOME/bin/run.js' },
      ),
      workingDirectory: "/srv/work dir/100%",
    },
  },
];

describe("systemd unit rendering", () => {
  it.each(cases)("renders $name as the golden file", ({ name, spec }) => {
    expectGolden(name, renderSystemdUnit(spec));
  });

  it("restarts always, 5 s apart, after the network is online", () => {
    const unit = renderSystemdUnit(cases[0]!.spec);
    expect(unit).toContain("\nRestart=always\nRestartSec=5\n");
    expect(unit).toContain("After=network-online.target\nWants=network-online.target\n");
    expect(unit).toContain("WantedBy=default.target");
    expect(unit).not.toContain("User=");
  });

  it("a system unit runs as the given user and is wanted by multi-user.target", () => {
    const unit = renderSystemdUnit(cases[2]!.spec);
    expect(unit).toContain("[Service]\nUser=alice\nExecStart=");
    expect(unit).toContain("WantedBy=multi-user.target");
  });

  it("quotes only words with whitespace, quotes or backslashes (never for the letter s)", () => {
    const unit = renderSystemdUnit(cases[0]!.spec);
    expect(unit).toContain("ExecStart=/usr/bin/node /opt/coderclaw/bin/run.js gateway --port 18789\n");
    expect(unit).toContain("Environment=CODERCLAW_STATE_DIR=/home/alice/.coderclaw\n");
    const quoted = renderSystemdUnit(cases[3]!.spec);
    expect(quoted).toContain(
      'ExecStart=/usr/bin/node "/opt/My Apps/it\'s \\"claw\\"\\\\50%%$$HOME/bin/run.js" gateway --port 18789',
    );
    expect(quoted).toContain('Environment="HOME=/home/al ice"');
  });

  it.each(cases)("parse(render($name)) gives back the command, environment and directory", ({ spec }) => {
    const parsed = parseSystemdUnit(renderSystemdUnit(spec));
    expect(parsed.programArguments).toEqual(spec.programArguments);
    expect(parsed.environment).toEqual(spec.environment);
    expect(parsed.workingDirectory).toEqual(spec.workingDirectory);
    expect(parsed.user).toEqual(spec.user);
  });

  it("round-trips awkward values: tabs, newlines, both quotes, backslashes, % and $", () => {
    const spec: SystemdUnitSpec = {
      description: "x",
      programArguments: ["/usr/bin/node", "a\tb", "line1\nline2", `'"\\`, "", "50%", "$$x", "plain"],
      environment: { A: "with space", B: 'q"uote', C: "back\\slash", D: "%h", E: "" },
    };
    const parsed = parseSystemdUnit(renderSystemdUnit(spec));
    expect(parsed.programArguments).toEqual(spec.programArguments);
    expect(parsed.environment).toEqual(spec.environment);
  });

  it("reads hand-edited units: prefixes, single quotes, several assignments per line, comments", () => {
    const parsed = parseSystemdUnit(
      [
        "# comment",
        "[Service]",
        "ExecStart=-/usr/bin/node '/opt/a b/run.js' gateway \\",
        "  --port 1234",
        'Environment="A=1 2" B=3',
        "Environment=C=4",
        "WorkingDirectory=-/srv/x",
      ].join("\n"),
    );
    expect(parsed.programArguments).toEqual([
      "/usr/bin/node",
      "/opt/a b/run.js",
      "gateway",
      "--port",
      "1234",
    ]);
    expect(parsed.environment).toEqual({ A: "1 2", B: "3", C: "4" });
    expect(parsed.workingDirectory).toBe("/srv/x");
    expect(splitUnitWords('a "b c" d\\x41')).toEqual(["a", "b c", "dA"]);
  });

  const systemdAnalyze = spawnSync("systemd-analyze", ["--version"]).status === 0;
  (systemdAnalyze ? it : it.skip)(
    "(needs systemd-analyze) systemd-analyze verify accepts the rendered units",
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-unit-"));
      try {
        const entryDir = path.join(dir, "my apps");
        fs.mkdirSync(entryDir);
        const entry = path.join(entryDir, "run.js");
        fs.writeFileSync(entry, "");
        for (const [index, base] of cases.entries()) {
          const spec = {
            ...base.spec,
            programArguments: [process.execPath, entry, "gateway", "--port", "18789"],
          };
          const file = path.join(dir, `coderclaw-verify-${index}.service`);
          fs.writeFileSync(file, renderSystemdUnit(spec));
          const result = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
          const output = `${result.stdout}${result.stderr}`;
          expect({
            file: base.name,
            status: result.status,
            problems: output.match(/.*(Unknown|Invalid|ignoring|bad|not executable).*/gi),
          }).toEqual({ file: base.name, status: 0, problems: null });
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe("launchd plist rendering", () => {
  const plistSpec = (env: NodeJS.ProcessEnv) => {
    const unit = unitSpec(env);
    const environment = buildServiceEnvironment({
      env,
      port: 18789,
      version: VERSION,
      platform: "darwin",
      execPath: NODE,
      launchdLabel: launchdLabel(env),
    });
    return {
      label: launchdLabel(env),
      comment: unit.description,
      programArguments: unit.programArguments,
      environment,
      stdoutPath: `${environment.CODERCLAW_STATE_DIR}/logs/gateway.out.log`,
      stderrPath: `${environment.CODERCLAW_STATE_DIR}/logs/gateway.err.log`,
    };
  };
  const plists = [
    { name: "launchd-default.plist", spec: plistSpec({ HOME: "/Users/alice", TMPDIR: "/tmp" }) },
    {
      name: "launchd-profile.plist",
      spec: plistSpec({ HOME: "/Users/alice", TMPDIR: "/tmp", CODERCLAW_PROFILE: "work" }),
    },
  ];

  it.each(plists)("renders $name as the golden file", ({ name, spec }) => {
    expectGolden(name, renderLaunchdPlist(spec));
  });

  it("labels are ai.coderclaw.gateway and ai.coderclaw.<profile>", () => {
    expect(plists.map((p) => p.spec.label)).toEqual(["ai.coderclaw.gateway", "ai.coderclaw.work"]);
  });

  it.each(plists)("parse(render($name)) gives back every key", ({ spec }) => {
    const parsed = parseLaunchdPlist(renderLaunchdPlist(spec));
    expect(parsed).toEqual({
      label: spec.label,
      comment: spec.comment,
      programArguments: spec.programArguments,
      environment: spec.environment,
      runAtLoad: true,
      keepAlive: true,
      throttleInterval: 30,
      stdoutPath: spec.stdoutPath,
      stderrPath: spec.stderrPath,
    });
  });

  it("escapes XML in arguments and environment values", () => {
    const spec = {
      ...plists[0]!.spec,
      programArguments: ["/usr/bin/node", "/a & b/<run>.js", `"it's"`],
      environment: { X: "<&>'\"" },
      workingDirectory: "/srv/a&b",
    };
    const xml = renderLaunchdPlist(spec);
    expect(xml).toContain("<string>/a &amp; b/&lt;run&gt;.js</string>");
    const parsed = parseLaunchdPlist(xml);
    expect(parsed.programArguments).toEqual(spec.programArguments);
    expect(parsed.environment).toEqual(spec.environment);
    expect(parsed.workingDirectory).toBe("/srv/a&b");
  });
});
