import fs from "node:fs";
import { useGateway } from "./helpers/gateway-fixture.js";
import { fakeSystemTools, runDoctorCli } from "./helpers/doctor-fixtures.js";
import { killAll, localConfig, makeTempHome, runCli, type TempHome } from "./helpers/gateway-process.js";

const REDACTED = "__CODERCLAW_REDACTED__";
const SECRETS = {
  env: "env-secret-7f3a",
  urlPassword: "url-secret-91bc",
  googKey: "hdr-secret-goog-55",
  cookie: "hdr-secret-cookie-66",
  proxyAuth: "hdr-secret-proxy-77",
  vendor: "hdr-secret-vendor-88",
};

function providers() {
  return {
    cmd: {
      type: "command",
      command: [process.execPath, "-e", "console.error('leaked ' + process.env.API_TOKEN); process.exit(3)"],
      env: { API_TOKEN: SECRETS.env },
    },
    ai: {
      type: "openai",
      baseUrl: `https://svc-user:${SECRETS.urlPassword}@llm.example/v1`,
      headers: {
        "X-Goog-Api-Key": SECRETS.googKey,
        Cookie: `session=${SECRETS.cookie}`,
        "Proxy-Authorization": `Basic ${SECRETS.proxyAuth}`,
        "X-Vendor-Thing": SECRETS.vendor,
        "Content-Type": "application/json",
        "User-Agent": "coderclaw-test",
      },
    },
  };
}

function expectNoSecret(text: string) {
  for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
}

describe("secrets are redacted on every read path unless asked for", () => {
  const fixture = useGateway(
    localConfig(
      { reload: { mode: "off" } },
      { providers: providers(), agents: { defaults: { model: "cmd" } }, logging: { level: "debug" } },
    ),
  );

  it("config.get (operator.read) redacts env values, URL userinfo and every header outside the harmless list", async () => {
    const peer = await fixture.connected({ scopes: ["operator.read"] });
    const res = await peer.request("config.get");
    expect(res.ok).toBe(true);
    expectNoSecret(JSON.stringify(res.payload));
    const { parsed } = res.payload as { parsed: { providers: ReturnType<typeof providers> } };
    expect(parsed.providers.cmd.env).toEqual({ API_TOKEN: REDACTED });
    expect(parsed.providers.ai.baseUrl).toBe(`https://${REDACTED}@llm.example/v1`);
    expect(parsed.providers.ai.headers).toEqual({
      "X-Goog-Api-Key": REDACTED,
      Cookie: REDACTED,
      "Proxy-Authorization": REDACTED,
      "X-Vendor-Thing": REDACTED,
      "Content-Type": "application/json",
      "User-Agent": "coderclaw-test",
    });
  });

  it("a redacted snapshot written back unchanged keeps every secret in the file", async () => {
    const peer = await fixture.connected({ scopes: ["operator.admin"] });
    const snapshot = (await peer.request("config.get")).payload as {
      hash: string;
      parsed: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    snapshot.parsed.logging = { level: "debug", maxFiles: 3 };
    const applied = await peer.request("config.apply", { config: snapshot.parsed, baseHash: snapshot.hash });
    expect(applied.ok).toBe(true);
    const written = JSON.parse(fs.readFileSync(fixture.home.configPath, "utf8"));
    expect(written.providers).toEqual(providers());
    expect(written.logging).toEqual({ level: "debug", maxFiles: 3 });
    expect(fs.readFileSync(fixture.home.configPath, "utf8")).not.toContain(REDACTED);

    const next = (await peer.request("config.get")).payload as { hash: string; parsed: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const set = await peer.request("config.set", {
      path: "providers.ai",
      value: { ...next.parsed.providers.ai, model: "gpt-test" },
      baseHash: next.hash,
    });
    expect(set.ok).toBe(true);
    const afterSet = JSON.parse(fs.readFileSync(fixture.home.configPath, "utf8"));
    expect(afterSet.providers.ai).toEqual({ ...providers().ai, model: "gpt-test" });
  });

  it("refuses the marker at a path that holds no secret, instead of storing it", async () => {
    const peer = await fixture.connected({ scopes: ["operator.admin"] });
    const before = fs.readFileSync(fixture.home.configPath, "utf8");
    const { hash } = (await peer.request("config.get")).payload as { hash: string };
    const res = await peer.request("config.set", {
      path: "providers.cmd.env.OTHER",
      value: REDACTED,
      baseHash: hash,
    });
    expect(res.error?.code).toBe("INVALID_REQUEST");
    expect(res.error?.message).toContain("providers.cmd.env.OTHER");
    expect(fs.readFileSync(fixture.home.configPath, "utf8")).toBe(before);
  });

  it("the log (and logs.tail) masks a provider secret that reaches a log line", async () => {
    const peer = await fixture.connected({ scopes: ["operator.admin"] });
    const ack = await peer.request("agent", { message: "hi", idempotencyKey: `leak-${process.pid}` });
    expect(ack.ok).toBe(true);
    await peer.until(
      () => peer.frames.filter((f) => f.type === "res" && f.id === ack.id).length >= 2,
      10_000,
      "final",
    );
    // The command's stderr reaches the log at debug level.
    let lines = "";
    const deadline = Date.now() + 5_000;
    while (!lines.includes("leaked") && Date.now() < deadline) {
      const tail = await peer.request("logs.tail", {});
      lines = (tail.payload as { lines: string[] }).lines.join("\n");
      if (!lines.includes("leaked")) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(lines).toContain("leaked ***");
    expectNoSecret(lines);
  });
});

describe("the CLI redacts unless --show-secrets", () => {
  let home: TempHome;
  beforeEach(() => {
    home = makeTempHome();
  });
  afterEach(async () => {
    await killAll();
    home.cleanup();
  });

  it("`coderclaw config get providers` redacts; --show-secrets prints them", async () => {
    home.writeConfig(localConfig({}, { providers: providers() }));
    const redacted = await runCli(["config", "get", "providers", "--json"], home.env);
    expect(redacted.code).toBe(0);
    expectNoSecret(redacted.stdout);
    expect(JSON.parse(redacted.stdout).ai.headers["Content-Type"]).toBe("application/json");
    const shown = await runCli(["config", "get", "providers", "--json", "--show-secrets"], home.env);
    expect(JSON.parse(shown.stdout)).toEqual(providers());
  });

  it("`coderclaw config set` of a redacted value keeps the stored secret", async () => {
    home.writeConfig(localConfig({}, { providers: providers() }));
    const redacted = await runCli(["config", "get", "providers.cmd", "--json"], home.env);
    const changed = { ...JSON.parse(redacted.stdout), graceMs: 100 };
    const set = await runCli(["config", "set", "providers.cmd", JSON.stringify(changed)], home.env);
    expect(set.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(home.configPath, "utf8")).providers.cmd).toEqual({
      ...providers().cmd,
      graceMs: 100,
    });
  });

  it("doctor, status and health do not print the userinfo of gateway.remote.url", async () => {
    home.writeConfig({
      gateway: { mode: "remote", remote: { url: `ws://svc:${SECRETS.urlPassword}@127.0.0.1:9` } },
    });
    const env = { ...home.env, PATH: fakeSystemTools(home.home) };
    const doctor = await runDoctorCli(["--non-interactive"], env);
    expect(doctor.stdout).toContain("gateway.mode is remote");
    expectNoSecret(doctor.stdout + doctor.stderr);
    const status = await runCli(["status", "--json"], env);
    expectNoSecret(status.stdout + status.stderr);
    const health = await runCli(["health"], env);
    expect(health.code).toBe(1);
    expect(health.stderr).toContain(`Gateway target: ws://${REDACTED}@127.0.0.1:9`);
    expectNoSecret(health.stdout + health.stderr);
  });
});
