import fs from "node:fs";
import path from "node:path";
import { validateConfigObject } from "../src/config/load.js";
import { REDACTED } from "../src/config/redact.js";
import { classifyChanges, ruleFor } from "../src/config/reload-rules.js";
import { useGateway } from "./helpers/gateway-fixture.js";
import {
  killAll,
  localConfig,
  makeTempHome,
  runCli,
  startGateway,
  type GatewayProcess,
  type TempHome,
} from "./helpers/gateway-process.js";
import type { WsPeer } from "./helpers/ws-peer.js";

type Config = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const issuesOf = (hooks: Record<string, unknown>, gateway: Record<string, unknown> = {}) =>
  validateConfigObject({ gateway, hooks }).issues;

describe("hooks config validation", () => {
  it("requires a token of its own when hooks are enabled", () => {
    expect(issuesOf({ enabled: true })).toEqual([
      { path: "hooks.token", message: "required when hooks.enabled is true (a secret of its own)" },
    ]);
    expect(issuesOf({ enabled: true, token: "same" }, { auth: { token: "same" } })).toEqual([
      { path: "hooks.token", message: "must differ from the gateway's token and password" },
    ]);
    expect(issuesOf({ enabled: true, token: "hook-secret" }, { auth: { token: "gw" } })).toEqual([]);
    expect(issuesOf({ enabled: false })).toEqual([]);
  });

  it.each([
    ["hooks", 'must start with "/"'],
    ["/", 'must not be "/" (hooks need a dedicated sub-path)'],
    ["//", 'must not be "/" (hooks need a dedicated sub-path)'],
    ["/a/../b", 'must not contain ".."'],
    ["/a?b", "must not contain whitespace, ?, #, % or \\"],
  ])("refuses hooks.path %j", (hooksPath, message) => {
    expect(issuesOf({ path: hooksPath })).toEqual([{ path: "hooks.path", message }]);
  });

  it("checks mappings and the session key policy", () => {
    const issues = issuesOf({
      allowedSessionKeyPrefixes: ["ci:"],
      mappings: [
        { match: { path: "a", other: "x" }, action: "run", bogus: 1 },
        { action: "wake", timeoutSeconds: 0, channel: "No Way", sessionKey: "hook:x" },
      ],
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        {
          path: "hooks.allowedSessionKeyPrefixes",
          message:
            'must include "hook:" when hooks.defaultSessionKey is unset (generated keys are hook:<uuid>)',
        },
        { path: "hooks.mappings.0.bogus", message: "unknown key" },
        { path: "hooks.mappings.0.match.other", message: "unknown key" },
        { path: "hooks.mappings.0.action", message: 'must be "wake" or "agent"' },
        { path: "hooks.mappings.1.textTemplate", message: 'required for a "wake" mapping' },
        { path: "hooks.mappings.1.timeoutSeconds", message: "must be an integer from 1 to 3600" },
        { path: "hooks.mappings.1.channel", message: 'must be "last" or a channel id' },
        {
          path: "hooks.mappings.1.sessionKey",
          message: "must start with one of: ci: (hooks.allowedSessionKeyPrefixes)",
        },
      ]),
    );
  });

  it("reloads every hooks.* change hot", () => {
    for (const leaf of ["hooks.enabled", "hooks.token", "hooks.path", "hooks.mappings"]) {
      expect(ruleFor(leaf).kind).toBe("hot");
    }
    expect(classifyChanges(["hooks.token", "hooks.maxBodyBytes"]).hot).toEqual([
      "hooks.token",
      "hooks.maxBodyBytes",
    ]);
  });

  it("keeps a gateway from starting with hooks enabled and no hook token", async () => {
    const home: TempHome = makeTempHome();
    try {
      home.writeConfig(localConfig({}, { hooks: { enabled: true } }));
      const result = await runCli(["gateway", "--port", "0"], home.env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("- hooks.token: required when hooks.enabled is true");
    } finally {
      home.cleanup();
    }
  });
});

const FIRST_TOKEN = "hook-token-first-0123";
const SECOND_TOKEN = "hook-token-second-4567";

describe("hooks under hot reload", () => {
  const config: Config = localConfig(
    { reload: { mode: "hybrid", debounceMs: 50 } },
    {
      providers: { echo: { type: "echo", delayMs: 0 } },
      hooks: { enabled: true, token: FIRST_TOKEN },
    },
  );
  const fixture = useGateway(config);
  let admin: WsPeer;

  const wake = (hooksPath: string, token: string) =>
    fetch(`${fixture.url.replace(/^ws:/, "http:")}${hooksPath}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ text: "ping", mode: "next-heartbeat" }),
    });

  /** Writes the config the way editors do and waits for the gateway's verdict on it. */
  async function edit(change: (config: Config) => void, status = "applied") {
    change(config);
    const before = admin.events("reload").length;
    const temp = path.join(path.dirname(fixture.home.configPath), `.edit.${Date.now()}.tmp`);
    fs.writeFileSync(temp, JSON.stringify(config, null, 2));
    fs.renameSync(temp, fixture.home.configPath);
    return admin.until(
      () =>
        admin
          .events("reload")
          .slice(before)
          .find((event) => event.payload.status === status)?.payload,
      5_000,
      `reload ${status}`,
    );
  }

  beforeEach(async () => {
    admin = await fixture.connected();
  });

  it("takes a new hooks.token at once, without a restart; config.get shows it redacted", async () => {
    expect((await wake("/hooks/wake", FIRST_TOKEN)).status).toBe(200);
    const applied = await edit((c) => (c.hooks.token = SECOND_TOKEN));
    expect(applied.paths).toEqual(["hooks.token"]);
    expect((await wake("/hooks/wake", FIRST_TOKEN)).status).toBe(401);
    expect((await wake("/hooks/wake", SECOND_TOKEN)).status).toBe(200);
    expect((await admin.request("config.get")).payload.config.hooks.token).toBe(REDACTED);
    expect(admin.closed).toBeNull();
    expect(admin.events("shutdown")).toHaveLength(0);
  });

  it("keeps the running hooks when the new file enables them without a token", async () => {
    const invalid = await edit((c) => (c.hooks.token = null), "invalid");
    expect(invalid.issues).toContainEqual({
      path: "hooks.token",
      message: "required when hooks.enabled is true (a secret of its own)",
    });
    expect((await wake("/hooks/wake", SECOND_TOKEN)).status).toBe(200);
    config.hooks.token = SECOND_TOKEN;
  });

  it("moves to a new hooks.path and applies the session key policy", async () => {
    await edit((c) => {
      c.hooks.path = "/ingest/";
      c.hooks.allowRequestSessionKey = true;
      c.hooks.allowedSessionKeyPrefixes = ["hook:"];
    });
    expect((await wake("/hooks/wake", SECOND_TOKEN)).status).toBe(404);
    expect((await wake("/ingest/wake", SECOND_TOKEN)).status).toBe(200);
    const agent = (sessionKey: string) =>
      fetch(`${fixture.url.replace(/^ws:/, "http:")}/ingest/agent`, {
        method: "POST",
        headers: { authorization: `Bearer ${SECOND_TOKEN}` },
        body: JSON.stringify({ message: "from ci", sessionKey, wakeMode: "next-heartbeat" }),
      });
    const accepted = await agent("hook:ci:build-7");
    expect(accepted.status).toBe(202);
    const { runId } = (await accepted.json()) as { runId: string };
    expect((await admin.request("agent.wait", { runId, timeoutMs: 5_000 })).payload.status).toBe("ok");
    const history = (await admin.request("chat.history", { sessionKey: "hook:ci:build-7" })).payload;
    expect(history.messages.map((m: { role: string }) => m.role)).toEqual(["user", "assistant"]);
    const refused = await agent("agent:main:main");
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ ok: false, error: "sessionKey must start with one of: hook:" });
  });

  it("stops answering when disabled: the path falls through to the gateway's 404", async () => {
    await edit((c) => (c.hooks.enabled = false));
    const res = await wake("/ingest/wake", SECOND_TOKEN);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
  });
});

describe("a hook token equal to the gateway token from the environment", () => {
  const SHARED = "shared-secret-0123456789";
  let home: TempHome | undefined;
  let gateway: GatewayProcess | undefined;

  afterAll(async () => {
    await gateway?.stop();
    await killAll();
    home?.cleanup();
  });

  it("keeps the webhooks off and says so in the startup log", async () => {
    home = makeTempHome();
    home.writeConfig({ gateway: { mode: "local" }, hooks: { enabled: true, token: SHARED } });
    gateway = await startGateway({ ...home.env, CODERCLAW_GATEWAY_TOKEN: SHARED });
    expect(gateway.output().stderr).toContain(
      "webhooks disabled: hooks.token must differ from the gateway's token and password",
    );
    const res = await fetch(`http://127.0.0.1:${gateway.port}/hooks/wake`, {
      method: "POST",
      headers: { authorization: `Bearer ${SHARED}` },
      body: JSON.stringify({ text: "x" }),
    });
    expect(res.status).toBe(404);
  });
});
