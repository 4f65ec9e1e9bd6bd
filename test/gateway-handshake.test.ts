import { useGateway } from "./helpers/gateway-fixture.js";
import { localConfig, TEST_TOKEN } from "./helpers/gateway-process.js";
import { connectParams } from "./helpers/ws-peer.js";

describe("handshake (REFERENCE §5.2)", () => {
  const fixture = useGateway(localConfig({ handshakeTimeoutMs: 800 }));
  const open = () => fixture.open();

  it("sends connect.challenge with a nonce and timestamp as soon as the socket opens", async () => {
    const peer = await open();
    const challenge = await peer.challenge();
    expect(challenge.payload.nonce).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.abs(challenge.payload.ts - Date.now())).toBeLessThan(5_000);
    expect(challenge.seq).toBeUndefined();
  });

  it("answers a valid connect with hello-ok carrying server, features, snapshot and policy", async () => {
    const peer = await open();
    const res = await peer.connect({ auth: { token: TEST_TOKEN } });
    expect(res.ok).toBe(true);
    const hello = res.payload;
    expect(hello.type).toBe("hello-ok");
    expect(hello.protocol).toBe(3);
    expect(hello.server.connId).toMatch(/^[0-9a-f-]{36}$/);
    expect(hello.features.methods).toEqual(
      expect.arrayContaining(["health", "status", "system-presence", "logs.tail", "config.get"]),
    );
    expect(hello.features.events).toEqual(
      expect.arrayContaining(["tick", "presence", "health", "shutdown", "heartbeat"]),
    );
    expect(hello.snapshot).toMatchObject({
      configPath: fixture.home.configPath,
      stateDir: fixture.home.stateDir,
      authMode: "token",
      sessionDefaults: { defaultAgentId: "main", mainKey: "main", mainSessionKey: "agent:main:main" },
    });
    expect(hello.snapshot.stateVersion.presence).toBeGreaterThanOrEqual(1);
    expect(hello.snapshot.presence[0].reason).toBe("self");
    expect(hello.policy).toEqual({ maxPayload: 26214400, maxBufferedBytes: 52428800, tickIntervalMs: 30000 });
  });

  it("closes with 1000 and no reason when the first frame is not JSON", async () => {
    const peer = await open();
    await peer.challenge();
    peer.send("this is not json");
    expect(await peer.waitClose()).toEqual({ code: 1000, reason: "" });
    expect(peer.frames.filter((f) => f.type === "res")).toEqual([]);
  });

  it("closes with 1008 'invalid request frame' when the first frame is JSON but not a request", async () => {
    const peer = await open();
    await peer.challenge();
    peer.send({ type: "event", event: "hello" });
    expect(await peer.waitClose()).toEqual({ code: 1008, reason: "invalid request frame" });
    expect(peer.frames.filter((f) => f.type === "res")).toEqual([]);
  });

  it("answers a first request that is not connect with INVALID_REQUEST and closes 1008", async () => {
    const peer = await open();
    await peer.challenge();
    peer.send({ type: "req", id: "x1", method: "health" });
    const res = await peer.response("x1");
    expect(res.error).toEqual({
      code: "INVALID_REQUEST",
      message: "invalid handshake: first request must be connect",
    });
    expect(await peer.waitClose()).toEqual({
      code: 1008,
      reason: "invalid handshake: first request must be connect",
    });
  });

  it("rejects invalid connect params with the validation errors and a close reason cut to 120 bytes", async () => {
    const peer = await open();
    await peer.challenge();
    peer.send({
      type: "req",
      id: "c",
      method: "connect",
      params: { minProtocol: 3, maxProtocol: 3, client: { id: "" } },
    });
    const res = await peer.response("c");
    expect(res.error?.code).toBe("INVALID_REQUEST");
    expect(res.error?.message).toMatch(/^invalid connect params: at \/client/);
    const closed = await peer.waitClose();
    expect(closed.code).toBe(1008);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(120);
    expect(res.error?.message.startsWith(closed.reason)).toBe(true);
  });

  it("closes with 1002 'protocol mismatch' when the client cannot speak protocol 3", async () => {
    const peer = await open();
    await peer.challenge();
    peer.send({
      type: "req",
      id: "c",
      method: "connect",
      params: connectParams({ minProtocol: 4, maxProtocol: 5, auth: { token: TEST_TOKEN } }),
    });
    const res = await peer.response("c");
    expect(res.error).toEqual({
      code: "INVALID_REQUEST",
      message: "protocol mismatch",
      details: { expectedProtocol: 3 },
    });
    expect(await peer.waitClose()).toEqual({ code: 1002, reason: "protocol mismatch" });
  });

  it("rejects an unknown role", async () => {
    const peer = await open();
    const res = await peer.connect({ role: "superuser", auth: { token: TEST_TOKEN } });
    expect(res.error).toEqual({ code: "INVALID_REQUEST", message: "invalid role" });
    expect((await peer.waitClose()).code).toBe(1008);
  });

  it("rejects a wrong token with the upstream unauthorized message", async () => {
    const peer = await open();
    const res = await peer.connect({ auth: { token: "wrong" } });
    expect(res.error).toEqual({
      code: "INVALID_REQUEST",
      message: "unauthorized: gateway token mismatch (provide gateway auth token)",
    });
    expect(await peer.waitClose()).toEqual({
      code: 1008,
      reason: "unauthorized: gateway token mismatch (provide gateway auth token)",
    });
  });

  it("gives the CLI hint to CLI clients with a wrong token", async () => {
    const peer = await open();
    const res = await peer.connect({
      client: { id: "cli", version: "1", platform: "linux", mode: "cli" },
      auth: { token: "nope" },
    });
    expect(res.error?.message).toBe(
      "unauthorized: gateway token mismatch (set gateway.remote.token to match gateway.auth.token)",
    );
  });

  it("answers NOT_PAIRED 'device identity required' when neither credentials nor a device are sent", async () => {
    const peer = await open();
    const res = await peer.connect({});
    expect(res.error).toEqual({ code: "NOT_PAIRED", message: "device identity required" });
    expect((await peer.waitClose()).code).toBe(1008);
  });

  it("accepts any non-empty client id and ignores unknown optional connect fields", async () => {
    const peer = await open();
    const res = await peer.connect({
      client: { id: "my-own-tool", version: "0.1", platform: "linux", mode: "automation", futureField: 1 },
      futureTopLevel: { x: 1 },
      auth: { token: TEST_TOKEN },
    });
    expect(res.ok).toBe(true);
  });

  it("rejects a browser origin that is not the gateway's own", async () => {
    const peer = await fixture.open({ origin: "https://evil.example" });
    const res = await peer.connect({ auth: { token: TEST_TOKEN } });
    expect(res.error?.message).toBe(
      "origin not allowed (open the Control UI from the gateway host or allow it in gateway.controlUi.allowedOrigins)",
    );
  });

  it("closes with 1000 and no reason when connect does not arrive within the handshake timeout", async () => {
    const peer = await open();
    await peer.challenge();
    const started = Date.now();
    expect(await peer.waitClose(5_000)).toEqual({ code: 1000, reason: "" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it("closes with 1009 when a frame before hello-ok exceeds 64 KiB", async () => {
    const peer = await open();
    await peer.challenge();
    peer.send({ type: "req", id: "big", method: "connect", params: { pad: "x".repeat(70 * 1024) } });
    expect((await peer.waitClose()).code).toBe(1009);
  });

  it("accepts frames larger than 64 KiB after hello-ok", async () => {
    const peer = await open();
    await peer.connect({ auth: { token: TEST_TOKEN } });
    const res = await peer.request("system-event", { text: "y".repeat(100 * 1024) });
    expect(res.ok).toBe(true);
    expect(peer.closed).toBeNull();
  });

  describe("after hello-ok", () => {
    it("answers an unknown method with INVALID_REQUEST and keeps the socket open", async () => {
      const peer = await open();
      await peer.connect({ auth: { token: TEST_TOKEN } });
      const res = await peer.request("no.such.method");
      expect(res.error).toEqual({ code: "INVALID_REQUEST", message: "unknown method: no.such.method" });
      expect((await peer.request("health")).ok).toBe(true);
      expect(peer.closed).toBeNull();
    });

    it("ignores frames that are not JSON", async () => {
      const peer = await open();
      await peer.connect({ auth: { token: TEST_TOKEN } });
      peer.send("garbage{");
      expect((await peer.request("health")).ok).toBe(true);
      expect(peer.frames.filter((f) => f.type === "res")).toHaveLength(2);
    });

    it("answers a JSON frame that is not a request with 'invalid request frame' and keeps the socket", async () => {
      const peer = await open();
      await peer.connect({ auth: { token: TEST_TOKEN } });
      peer.send({ type: "req", id: "q", method: "health", extra: true });
      const res = await peer.response("q");
      expect(res.error).toEqual({
        code: "INVALID_REQUEST",
        message: "invalid request frame: at root: unexpected property 'extra'",
      });
      expect((await peer.request("health")).ok).toBe(true);
    });

    it("rejects a second connect", async () => {
      const peer = await open();
      await peer.connect({ auth: { token: TEST_TOKEN } });
      peer.send({
        type: "req",
        id: "again",
        method: "connect",
        params: connectParams({ auth: { token: TEST_TOKEN } }),
      });
      expect((await peer.response("again")).error).toEqual({
        code: "INVALID_REQUEST",
        message: "connect is only valid as the first request",
      });
      expect(peer.closed).toBeNull();
    });

    it("enforces scopes: a read-only client may call health but not set-heartbeats", async () => {
      const peer = await open();
      await peer.connect({ auth: { token: TEST_TOKEN }, scopes: ["operator.read"] });
      expect((await peer.request("health")).ok).toBe(true);
      expect((await peer.request("set-heartbeats", { enabled: false })).error).toEqual({
        code: "INVALID_REQUEST",
        message: "missing scope: operator.admin",
      });
    });

    it("validates method params", async () => {
      const peer = await open();
      await peer.connect({ auth: { token: TEST_TOKEN } });
      const res = await peer.request("set-heartbeats", { enabled: "yes" });
      expect(res.error?.code).toBe("INVALID_REQUEST");
      expect(res.error?.message).toBe("invalid set-heartbeats params: at /enabled: must be boolean");
    });
  });
});
