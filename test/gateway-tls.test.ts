import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import type { ConnectionOptions, PeerCertificate, TLSSocket } from "node:tls";
import type WebSocket from "ws";
import { generate } from "selfsigned";
import { GatewayClient } from "../src/client/gateway-client.js";
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
import { WsPeer } from "./helpers/ws-peer.js";
import { launchBrowser } from "./helpers/browser.js";

jest.setTimeout(90_000);

const CLI_TIMEOUT_MS = 45_000;
const FINGERPRINT = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;

const homes: TempHome[] = [];
const gateways: GatewayProcess[] = [];
const clients: GatewayClient[] = [];
const peers: WsPeer[] = [];

afterEach(async () => {
  peers.splice(0).forEach((peer) => peer.close());
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(gateways.splice(0).map((gateway) => gateway.stop()));
  await killAll();
  homes.splice(0).forEach((home) => home.cleanup());
});

function newHome(): TempHome {
  const home = makeTempHome();
  home.env.TMPDIR = os.tmpdir();
  homes.push(home);
  return home;
}

async function tlsHome(
  tls: Record<string, unknown> = { enabled: true },
  extra: Record<string, unknown> = {},
) {
  const home = newHome();
  const port = await freePort();
  home.writeConfig(
    localConfig({ port, tls, http: { endpoints: { chatCompletions: { enabled: true } } }, ...extra }),
  );
  return { home, port };
}

async function start(home: TempHome): Promise<GatewayProcess> {
  const gateway = await startGateway(home.env, ["gateway"]);
  gateways.push(gateway);
  return gateway;
}

function generatedFiles(home: TempHome) {
  const dir = path.join(home.stateDir, "gateway", "tls");
  return { dir, cert: path.join(dir, "gateway-cert.pem"), key: path.join(dir, "gateway-key.pem") };
}

function loggedFingerprint(gateway: GatewayProcess): string {
  const match = /tls: SHA-256 fingerprint (\S+)/.exec(gateway.output().stdout);
  if (!match) throw new Error(`no fingerprint line in\n${gateway.output().stdout}`);
  return match[1]!;
}

function mode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

/** An https request that trusts only `ca` (the gateway's own certificate), as a careful script would. */
function httpsRequest(
  port: number,
  urlPath: string,
  ca: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; body: string; type: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = https.request(
      {
        host: "127.0.0.1",
        port,
        path: urlPath,
        method: options.method ?? "GET",
        ca,
        agent: false,
        headers: { ...(payload ? { "content-type": "application/json" } : {}), ...options.headers },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            type: String(res.headers["content-type"] ?? ""),
            fingerprint: (res.socket as TLSSocket).getPeerCertificate().fingerprint256,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

const httpsGet = (port: number, urlPath: string, ca: string, headers: Record<string, string> = {}) =>
  httpsRequest(port, urlPath, ca, { headers });

function plainGet(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: urlPath, agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

/**
 * ws's own options for pinning: trust the certificate, then insist on its fingerprint. ws hands
 * both to `tls.connect`; @types/ws types `checkServerIdentity` after an old ws option, hence the cast.
 */
function pinnedWsOptions(ca: string, fingerprint: string): WebSocket.ClientOptions {
  const tlsOptions: Pick<ConnectionOptions, "ca" | "checkServerIdentity"> = {
    ca,
    checkServerIdentity: (_host: string, cert: PeerCertificate) =>
      cert.fingerprint256 === fingerprint
        ? undefined
        : new Error(`fingerprint ${cert.fingerprint256} is not the pinned ${fingerprint}`),
  };
  return tlsOptions as unknown as WebSocket.ClientOptions;
}

function client(url: string, tlsFingerprint?: string): GatewayClient {
  const created = new GatewayClient({
    url,
    token: TEST_TOKEN,
    client: { id: "tls-test", mode: "test" },
    connectTimeoutMs: 10_000,
    ...(tlsFingerprint !== undefined ? { tlsFingerprint } : {}),
  });
  clients.push(created);
  return created;
}

describe("gateway TLS with a generated self-signed certificate", () => {
  it("generates the certificate on first start (0600 files in a 0700 dir), logs its fingerprint, and reuses it after a restart", async () => {
    const { home, port } = await tlsHome();
    const files = generatedFiles(home);
    expect(fs.existsSync(files.cert)).toBe(false);

    const first = await start(home);
    expect(first.url).toBe(`wss://127.0.0.1:${port}`);
    expect(first.output().stdout).toContain(`listening on wss://127.0.0.1:${port}`);
    expect(first.output().stdout).toContain(`tls: certificate generated self-signed in ${files.cert}`);
    const fingerprint = loggedFingerprint(first);
    expect(fingerprint).toMatch(FINGERPRINT);
    const cert = new X509Certificate(fs.readFileSync(files.cert));
    expect(cert.fingerprint256).toBe(fingerprint);
    expect(cert.subjectAltName).toContain("DNS:localhost");
    expect(cert.subjectAltName).toContain(`DNS:${os.hostname().toLowerCase()}`);
    expect(cert.subjectAltName).toContain("IP Address:127.0.0.1");
    expect(cert.subjectAltName).toContain("IP Address:0:0:0:0:0:0:0:1");
    expect(cert.checkPrivateKey(createPrivateKey(fs.readFileSync(files.key)))).toBe(true);
    expect(mode(files.cert)).toBe(0o600);
    expect(mode(files.key)).toBe(0o600);
    expect(mode(files.dir)).toBe(0o700);
    const keyBefore = fs.readFileSync(files.key, "utf8");

    // What the gateway serves is the file it logged.
    const served = await httpsGet(port, "/healthz", fs.readFileSync(files.cert, "utf8"));
    expect(served.fingerprint).toBe(fingerprint);

    expect((await first.stop()).code).toBe(0);
    gateways.splice(0);
    const second = await start(home);
    expect(second.output().stdout).toContain(`tls: certificate self-signed, reused from ${files.cert}`);
    expect(loggedFingerprint(second)).toBe(fingerprint);
    expect(fs.readFileSync(files.key, "utf8")).toBe(keyBefore);
    expect((await httpsGet(port, "/healthz", fs.readFileSync(files.cert, "utf8"))).fingerprint).toBe(
      fingerprint,
    );
  });

  it("a ws client over wss with the fingerprint pinned completes the handshake; a wrong pin is refused", async () => {
    const { home, port } = await tlsHome();
    const gateway = await start(home);
    const fingerprint = loggedFingerprint(gateway);
    const ca = fs.readFileSync(generatedFiles(home).cert, "utf8");

    const peer = await WsPeer.open(`wss://127.0.0.1:${port}`, pinnedWsOptions(ca, fingerprint));
    peers.push(peer);
    const hello = await peer.connect({ auth: { token: TEST_TOKEN } });
    expect(hello.ok).toBe(true);
    expect(hello.payload.type).toBe("hello-ok");
    const status = await peer.request("status");
    expect(status.payload.gateway.tls).toEqual({ enabled: true, fingerprint });

    const wrongPin = fingerprint.replace(/^../, fingerprint.startsWith("00") ? "11" : "00");
    await expect(WsPeer.open(`wss://127.0.0.1:${port}`, pinnedWsOptions(ca, wrongPin))).rejects.toThrow(
      `fingerprint ${fingerprint} is not the pinned ${wrongPin}`,
    );
    // Without trusting the certificate at all, a standard client refuses the self-signed one.
    await expect(WsPeer.open(`wss://127.0.0.1:${port}`)).rejects.toThrow(/self-signed certificate/);
  });

  it("GatewayClient: a pin in any common spelling connects; a mismatch names both fingerprints and never falls back to plain", async () => {
    const { home, port } = await tlsHome();
    const gateway = await start(home);
    const fingerprint = loggedFingerprint(gateway);
    const url = `wss://127.0.0.1:${port}`;

    const hello = await client(url, `sha256:${fingerprint.replace(/:/g, "").toLowerCase()}`).connect();
    expect(hello.type).toBe("hello-ok");

    const wrongPin = `${"AB:".repeat(31)}AB`;
    const mismatch = await client(url, wrongPin)
      .connect()
      .then(
        () => "connected",
        (error: Error) => error.message,
      );
    expect(mismatch).toContain("gateway tls fingerprint mismatch");
    expect(mismatch).toContain(`Expected (pinned): ${wrongPin}`);
    expect(mismatch).toContain(`Presented by the gateway: ${fingerprint}`);

    const unpinned = await client(url)
      .connect()
      .then(
        () => "connected",
        (error: Error) => error.message,
      );
    expect(unpinned).toContain("gateway tls certificate not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)");
    expect(unpinned).toContain(`coderclaw config set gateway.remote.tlsFingerprint ${fingerprint}`);

    await expect(client(`ws://127.0.0.1:${port}`, fingerprint).connect()).rejects.toThrow(
      "gateway tls fingerprint requires wss:// gateway url",
    );
    // A plain client that dials the TLS port learns why it was refused.
    await expect(client(`ws://127.0.0.1:${port}`).connect()).rejects.toThrow(
      "gateway refused the WebSocket upgrade (HTTP 400): This gateway serves TLS only: use https:// or wss://",
    );
  });

  it("serves the HTTP APIs over https (OpenAI-compatible, hooks, Control UI); a plain http request gets a short 400", async () => {
    const hookToken = "hook-secret-0123456789";
    const home = newHome();
    const port = await freePort();
    home.writeConfig(
      localConfig(
        { port, tls: { enabled: true }, http: { endpoints: { chatCompletions: { enabled: true } } } },
        {
          providers: { echo: { type: "echo", delayMs: 0 } },
          hooks: { enabled: true, token: hookToken },
        },
      ),
    );
    await start(home);
    const ca = fs.readFileSync(generatedFiles(home).cert, "utf8");

    const healthz = await httpsGet(port, "/healthz", ca);
    expect(healthz.status).toBe(200);
    expect(JSON.parse(healthz.body)).toMatchObject({ ok: true });

    const models = await httpsGet(port, "/v1/models", ca, { Authorization: `Bearer ${TEST_TOKEN}` });
    expect(models.status).toBe(200);
    expect(JSON.parse(models.body).data.map((model: { id: string }) => model.id)).toContain("coderclaw:main");

    const completion = await httpsRequest(port, "/v1/chat/completions", ca, {
      method: "POST",
      headers: { Authorization: `Bearer ${TEST_TOKEN}` },
      body: { model: "coderclaw", messages: [{ role: "user", content: "hello over tls" }] },
    });
    expect(completion.status).toBe(200);
    expect(JSON.parse(completion.body).choices[0].message.content).toBe("hello over tls");

    const wake = await httpsRequest(port, "/hooks/wake", ca, {
      method: "POST",
      headers: { Authorization: `Bearer ${hookToken}` },
      body: { text: "deploy finished" },
    });
    expect(wake.status).toBe(200);
    expect(JSON.parse(wake.body)).toMatchObject({ ok: true });

    const ui = await httpsGet(port, "/", ca);
    expect(ui.status).toBe(200);
    expect(ui.type).toContain("text/html");

    const plain = await plainGet(port, "/healthz");
    expect(plain).toEqual({ status: 400, body: "This gateway serves TLS only: use https:// or wss://\n" });
  });

  it("the Control UI over https signs in and connects back over wss (chromium pinning the certificate's key)", async () => {
    const { home, port } = await tlsHome();
    await start(home);
    const cert = new X509Certificate(fs.readFileSync(generatedFiles(home).cert));
    const spki = createHash("sha256")
      .update(cert.publicKey.export({ type: "spki", format: "der" }))
      .digest("base64");
    const browser = await launchBrowser([`--ignore-certificate-errors-spki-list=${spki}`]);
    try {
      const page = await browser.newPage();
      await page.goto(`https://127.0.0.1:${port}/#token=${TEST_TOKEN}`);
      await page.getByTestId("connection-status").getByText("Connected").waitFor({ timeout: 20_000 });
      expect(page.url()).toBe(`https://127.0.0.1:${port}/`);
    } finally {
      await browser.close();
    }
  });

  it("the real CLI: health, gateway status (fingerprint, wss/https URLs), status and gateway probe work against it", async () => {
    const { home, port } = await tlsHome();
    const gateway = await start(home);
    const fingerprint = loggedFingerprint(gateway);

    const health = await runCli(["health"], home.env, CLI_TIMEOUT_MS);
    expect(health.stderr).toBe("");
    expect(health.code).toBe(0);
    expect(health.stdout).toContain("Agents: main (default)");

    const status = await runCli(["gateway", "status"], home.env, CLI_TIMEOUT_MS);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`Probe target: wss://127.0.0.1:${port}\n`);
    expect(status.stdout).toContain(`Dashboard: https://127.0.0.1:${port}/\n`);
    expect(status.stdout).toContain(`TLS: on, certificate SHA-256 fingerprint ${fingerprint}\n`);
    expect(status.stdout).toContain(`Runtime: running (pid ${gateway.child.pid}, state ready)\n`);
    expect(status.stdout).toContain("RPC probe: ok\n");

    const json = JSON.parse((await runCli(["gateway", "status", "--json"], home.env, CLI_TIMEOUT_MS)).stdout);
    expect(json.gateway.tls).toMatchObject({ enabled: true, fingerprint });

    const overview = await runCli(["status"], home.env, CLI_TIMEOUT_MS);
    expect(overview.code).toBe(0);
    expect(overview.stdout).toMatch(
      new RegExp(`wss://127\\.0\\.0\\.1:${port} \\(running gateway pid \\d+\\)`),
    );
    expect(overview.stdout).toMatch(/reachable \d+ms/);
    expect(overview.stdout).toContain(`SHA-256 ${fingerprint}`);

    const probe = await runCli(["gateway", "probe"], home.env, CLI_TIMEOUT_MS);
    expect(probe.stdout).toContain(`Gateway probe: wss://127.0.0.1:${port}`);
    expect(probe.stdout).toContain("Reachable: yes");
    expect(probe.code).toBe(0);

    const dashboard = await runCli(["dashboard", "--no-open"], home.env, CLI_TIMEOUT_MS);
    expect(dashboard.stdout).toContain(`https://127.0.0.1:${port}/`);
  });

  it("a remote-mode CLI pins gateway.remote.tlsFingerprint: the right one works, a wrong one fails naming both", async () => {
    const { home, port } = await tlsHome();
    const gateway = await start(home);
    const fingerprint = loggedFingerprint(gateway);
    const remoteCli = newHome();
    const remote = (tlsFingerprint: string) =>
      remoteCli.writeConfig({
        gateway: {
          mode: "remote",
          remote: { url: `wss://127.0.0.1:${port}`, token: TEST_TOKEN, tlsFingerprint },
        },
      });

    remote(fingerprint);
    const ok = await runCli(["health"], remoteCli.env, CLI_TIMEOUT_MS);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);

    const wrongPin = `${"0F:".repeat(31)}0F`;
    remote(wrongPin);
    const refused = await runCli(["health"], remoteCli.env, CLI_TIMEOUT_MS);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("gateway tls fingerprint mismatch");
    expect(refused.stderr).toContain(`Expected (pinned): ${wrongPin}`);
    expect(refused.stderr).toContain(`Presented by the gateway: ${fingerprint}`);
    expect(refused.stderr).toContain(`Gateway target: wss://127.0.0.1:${port}`);

    remote(fingerprint);
    const invalid = await runCli(
      ["config", "set", "gateway.remote.tlsFingerprint", "not-a-fingerprint"],
      remoteCli.env,
      CLI_TIMEOUT_MS,
    );
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain("gateway.remote.tlsFingerprint: must be a SHA-256 fingerprint");
  });
});

describe("turning TLS on in a running gateway", () => {
  it("is a restart-kind change: the gateway comes back on the same port serving wss/https", async () => {
    const home = newHome();
    const port = await freePort();
    home.writeConfig(localConfig({ port }));
    const gateway = await start(home);
    expect(gateway.url).toBe(`ws://127.0.0.1:${port}`);
    expect((await plainGet(port, "/healthz")).status).toBe(200);

    home.writeConfig(localConfig({ port, tls: { enabled: true } }));
    const deadline = Date.now() + 30_000;
    while (!gateway.output().stdout.includes(`listening on wss://127.0.0.1:${port}`)) {
      if (Date.now() > deadline)
        throw new Error(`no wss listener after the change:\n${gateway.output().stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(gateway.output().stdout).toMatch(/gateway\.tls\.enabled/);
    const cert = fs.readFileSync(generatedFiles(home).cert, "utf8");
    const deadlineReady = Date.now() + 15_000;
    let healthz = await httpsGet(port, "/healthz", cert).catch((error: Error) => error);
    while (healthz instanceof Error || healthz.status !== 200) {
      if (Date.now() > deadlineReady)
        throw new Error(`https /healthz never answered 200: ${String(healthz)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      healthz = await httpsGet(port, "/healthz", cert).catch((error: Error) => error);
    }
    expect(healthz.fingerprint).toBe(loggedFingerprint(gateway));
    expect((await plainGet(port, "/healthz")).status).toBe(400);
  });
});

describe("gateway TLS with a configured certificate", () => {
  async function writePair(dir: string, commonName: string) {
    const pems = await generate([{ name: "commonName", value: commonName }], {
      keySize: 2048,
      algorithm: "sha256",
      extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
    });
    const certPath = path.join(dir, `${commonName}.crt`);
    const keyPath = path.join(dir, `${commonName}.key`);
    fs.writeFileSync(certPath, pems.cert);
    fs.writeFileSync(keyPath, pems.private, { mode: 0o600 });
    return { certPath, keyPath, cert: pems.cert, fingerprint: new X509Certificate(pems.cert).fingerprint256 };
  }

  it("serves gateway.tls.certPath/keyPath and generates nothing", async () => {
    const home = newHome();
    const pair = await writePair(home.home, "gateway.example");
    const port = await freePort();
    home.writeConfig(
      localConfig({ port, tls: { enabled: true, certPath: pair.certPath, keyPath: pair.keyPath } }),
    );
    const gateway = await start(home);
    expect(gateway.output().stdout).toContain(`tls: certificate from ${pair.certPath}`);
    expect(loggedFingerprint(gateway)).toBe(pair.fingerprint);
    expect((await httpsGet(port, "/healthz", pair.cert)).fingerprint).toBe(pair.fingerprint);
    expect(fs.existsSync(generatedFiles(home).dir)).toBe(false);

    const status = await runCli(["gateway", "status"], home.env, CLI_TIMEOUT_MS);
    expect(status.stdout).toContain(`TLS: on, certificate SHA-256 fingerprint ${pair.fingerprint}\n`);
    expect(status.stdout).toContain("RPC probe: ok\n");
  });

  it("serves gateway.tls.caPath after the certificate, so clients that trust only the CA verify the chain", async () => {
    const home = newHome();
    const caPems = await generate([{ name: "commonName", value: "Test Intermediate CA" }], {
      keySize: 2048,
      algorithm: "sha256",
      extensions: [
        { name: "basicConstraints", cA: true },
        { name: "keyUsage", keyCertSign: true, digitalSignature: true },
      ],
    });
    const leaf = await generate([{ name: "commonName", value: "gateway.example" }], {
      keySize: 2048,
      algorithm: "sha256",
      ca: { key: caPems.private, cert: caPems.cert },
      extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
    });
    const files = { certPath: "leaf.crt", keyPath: "leaf.key", caPath: "ca.crt" };
    // Relative paths: taken from the config file's directory.
    fs.mkdirSync(home.stateDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(home.stateDir, files.certPath), leaf.cert);
    fs.writeFileSync(path.join(home.stateDir, files.keyPath), leaf.private, { mode: 0o600 });
    fs.writeFileSync(path.join(home.stateDir, files.caPath), caPems.cert);
    const port = await freePort();
    home.writeConfig(localConfig({ port, tls: { enabled: true, ...files } }));
    const gateway = await start(home);
    expect(loggedFingerprint(gateway)).toBe(new X509Certificate(leaf.cert).fingerprint256);

    const healthz = await httpsGet(port, "/healthz", caPems.cert);
    expect(healthz.status).toBe(200);
    expect(healthz.fingerprint).toBe(new X509Certificate(leaf.cert).fingerprint256);
  });

  it("an edited config with an unusable certificate keeps the running gateway (the restart is refused)", async () => {
    const { home, port } = await tlsHome();
    const gateway = await start(home);
    const fingerprint = loggedFingerprint(gateway);
    const missing = path.join(home.home, "missing.crt");
    home.writeConfig(localConfig({ port, tls: { enabled: true, certPath: missing, keyPath: missing } }));
    const deadline = Date.now() + 30_000;
    const refused = `cannot read the certificate ${missing} (gateway.tls.certPath): ENOENT`;
    const output = () => gateway.output().stdout + gateway.output().stderr;
    while (!output().includes(refused)) {
      if (Date.now() > deadline) throw new Error(`no refusal logged:\n${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(output()).toContain("keeping the running config");
    expect(gateway.child.exitCode).toBeNull();
    const ca = fs.readFileSync(generatedFiles(home).cert, "utf8");
    const answered = async () => {
      for (;;) {
        const result = await httpsGet(port, "/healthz", ca).catch(() => null);
        if (result?.status === 200) return result;
        if (Date.now() > deadline) throw new Error("the gateway did not come back");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    expect((await answered()).fingerprint).toBe(fingerprint);
    expect(gateway.child.exitCode).toBeNull();
  });

  it.each([
    [
      "a missing certificate",
      "missing-cert",
      /cannot read the certificate \S+missing\.crt \(gateway\.tls\.certPath\): ENOENT/,
    ],
    ["a key that is a directory", "dir-key", /cannot read the key \S+ \(gateway\.tls\.keyPath\): EISDIR/],
    ["a key of another certificate", "other-key", /the key \S+ does not fit the certificate \S+/],
    ["a certificate that is not PEM", "garbage-cert", /\S+ is not a PEM certificate/],
  ])("%s: one clear startup error, exit 1", async (_what, variant, expected) => {
    const home = newHome();
    const pair = await writePair(home.home, "one");
    const other = await writePair(home.home, "two");
    const garbage = path.join(home.home, "garbage.crt");
    fs.writeFileSync(garbage, "not a certificate\n");
    const tls = {
      "missing-cert": { certPath: path.join(home.home, "missing.crt"), keyPath: pair.keyPath },
      "dir-key": { certPath: pair.certPath, keyPath: home.home },
      "other-key": { certPath: pair.certPath, keyPath: other.keyPath },
      "garbage-cert": { certPath: garbage, keyPath: pair.keyPath },
    }[variant as "missing-cert"];
    home.writeConfig(localConfig({ port: await freePort(), tls: { enabled: true, ...tls } }));
    const result = await runCli(["gateway"], home.env, CLI_TIMEOUT_MS);
    expect(result.code).toBe(1);
    const failures = result.stderr.split("\n").filter((line) => line.startsWith("Gateway failed to start:"));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^Gateway failed to start: Error: gateway tls: failed to enable: /);
    expect(failures[0]).toMatch(expected);
  });
});
