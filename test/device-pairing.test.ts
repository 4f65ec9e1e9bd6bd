import fs from "node:fs";
import path from "node:path";
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
import { connectAsDevice, newDeviceKey, PHONE, type DeviceConnect } from "./helpers/device-keys.js";
import { WsPeer } from "./helpers/ws-peer.js";

/** A phone reaching the gateway through the reverse proxy on loopback: the proxy names its address. */
const VIA_PROXY = { "x-forwarded-for": "203.0.113.7" };

describe("device pairing and device tokens (REFERENCE §5.4–5.5)", () => {
  let home: TempHome;
  let gateway: GatewayProcess;
  let cliEnv: NodeJS.ProcessEnv;
  const peers: WsPeer[] = [];
  const track = <T extends { peer: WsPeer }>(opened: T): T => {
    peers.push(opened.peer);
    return opened;
  };
  const cli = (...args: string[]) => runCli(args, cliEnv);

  /** An operator connected with the shared secret, asking for `scopes` (no device). */
  async function operator(scopes: string[], role = "operator"): Promise<WsPeer> {
    const peer = await WsPeer.open(gateway.url);
    peers.push(peer);
    const res = await peer.connect({ auth: { token: TEST_TOKEN }, role, scopes });
    expect(res.ok).toBe(true);
    return peer;
  }

  beforeAll(async () => {
    home = makeTempHome();
    // The proxy on loopback is trusted: the client address is the one it forwards, so the phone is not local.
    // Device-token failures are rate limited like the shared secret (loopback included here).
    home.writeConfig(
      localConfig({
        trustedProxies: ["127.0.0.1"],
        auth: {
          token: TEST_TOKEN,
          rateLimit: { maxAttempts: 3, windowMs: 60_000, lockoutMs: 60_000, exemptLoopback: false },
        },
      }),
    );
    gateway = await startGateway(home.env);
    cliEnv = { ...home.env, CODERCLAW_GATEWAY_PORT: String(gateway.port) };
  });
  afterEach(() => peers.splice(0).forEach((peer) => peer.close()));
  afterAll(async () => {
    await gateway?.stop();
    await killAll();
    home.cleanup();
  });

  it("pairs a remote device on approval, hands it a token, and lets it in on that token alone until revoked", async () => {
    const admin = await operator(["operator.admin"]);
    const pairingAdmin = await operator(["operator.pairing"]);
    const reader = await operator(["operator.read"]);
    const node = await operator([], "node");
    const phone = newDeviceKey();

    // 1. Unknown device, no secret: refused with a pairing request.
    const first = track(await connectAsDevice(gateway.url, phone, PHONE, VIA_PROXY));
    expect(first.res.ok).toBe(false);
    expect(first.res.error).toMatchObject({ code: "NOT_PAIRED", message: "pairing required" });
    const requestId = (first.res.error?.details as { requestId: string }).requestId;
    expect(requestId).toEqual(expect.any(String));
    expect(await first.peer.waitClose()).toEqual({ code: 1008, reason: "pairing required" });

    // 2. Pairing admins hear of it; a read-only operator and a node do not.
    const requested = await admin.until(() =>
      admin.events("device.pair.requested").find((e) => e.payload.requestId === requestId),
    );
    expect(requested.payload).toMatchObject({
      deviceId: phone.id,
      role: "operator",
      scopes: ["operator.read"],
      clientId: "coderclaw-android",
      platform: "Android 14",
      remoteIp: "203.0.113.7",
    });
    await pairingAdmin.until(() =>
      pairingAdmin.events("device.pair.requested").find((e) => e.payload.requestId === requestId),
    );
    expect(reader.events("device.pair.requested")).toEqual([]);
    expect(node.events("device.pair.requested")).toEqual([]);

    // 3. The operator sees the request with the CLI and approves it.
    const listed = await cli("devices", "list", "--json");
    expect(listed.stderr).toBe("");
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).pending).toEqual([
      expect.objectContaining({ requestId, deviceId: phone.id, remoteIp: "203.0.113.7" }),
    ]);
    const approved = await cli("devices", "approve", requestId);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`Approved device ${phone.id} as operator [operator.read].`);
    const resolved = await admin.until(() =>
      admin.events("device.pair.resolved").find((e) => e.payload.requestId === requestId),
    );
    expect(resolved.payload).toMatchObject({ deviceId: phone.id, decision: "approved" });
    expect(reader.events("device.pair.resolved")).toEqual([]);

    // 4. The device reconnects (still no secret) and receives its device token.
    const second = track(await connectAsDevice(gateway.url, phone, PHONE, VIA_PROXY));
    expect(second.res.ok).toBe(true);
    const grant = second.res.payload.auth;
    expect(grant).toEqual({
      deviceToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      role: "operator",
      scopes: ["operator.read"],
      issuedAtMs: expect.any(Number),
    });
    expect((await second.peer.request("health")).ok).toBe(true);
    expect((await second.peer.request("chat.send", {})).error?.message).toBe("missing scope: operator.write");
    second.peer.close();

    // 5. The approval is handed out once: a bare signature no longer gets in.
    const bare = track(await connectAsDevice(gateway.url, phone, PHONE, VIA_PROXY));
    expect(bare.res.error).toMatchObject({ code: "NOT_PAIRED", message: "pairing required" });

    // 6. From now on the device token alone (with the signature) lets it in, without a new token.
    const withToken: DeviceConnect = { ...PHONE, auth: { deviceToken: grant.deviceToken } };
    const third = track(await connectAsDevice(gateway.url, phone, withToken, VIA_PROXY));
    expect(third.res.ok).toBe(true);
    expect(third.res.payload.auth).toBeUndefined();
    expect((await third.peer.request("health")).ok).toBe(true);

    // 7. Scopes stay bound to the approval: asking for more is a new pairing request, not a session.
    const greedy = track(
      await connectAsDevice(gateway.url, phone, { ...withToken, scopes: ["operator.admin"] }, VIA_PROXY),
    );
    expect(greedy.res.error).toMatchObject({ code: "NOT_PAIRED", message: "pairing required" });
    const upgrade = (greedy.res.error?.details as { requestId: string }).requestId;
    const upgradeEvent = await admin.until(() =>
      admin.events("device.pair.requested").find((e) => e.payload.requestId === upgrade),
    );
    expect(upgradeEvent.payload.scopes).toEqual(["operator.admin"]);
    expect((await cli("devices", "reject", upgrade)).stdout).toContain(
      `Rejected the pairing request of device ${phone.id}.`,
    );

    // 8. Rotation: the old token is refused, the new one works.
    const rotated = await cli("devices", "rotate", phone.id, "--role", "operator", "--json");
    expect(rotated.code).toBe(0);
    const rotation = JSON.parse(rotated.stdout);
    expect(rotation).toMatchObject({ deviceId: phone.id, role: "operator", scopes: ["operator.read"] });
    expect(rotation.token).not.toBe(grant.deviceToken);
    const stale = track(await connectAsDevice(gateway.url, phone, withToken, VIA_PROXY));
    expect(stale.res.error).toEqual({
      code: "INVALID_REQUEST",
      message: "unauthorized: device token mismatch (rotate/reissue device token)",
    });
    expect((await stale.peer.waitClose()).code).toBe(1008);
    const fresh = track(
      await connectAsDevice(
        gateway.url,
        phone,
        { ...PHONE, auth: { deviceToken: rotation.token } },
        VIA_PROXY,
      ),
    );
    expect(fresh.res.ok).toBe(true);

    // 9. Revocation closes the connection made with the token, and the token is refused after.
    const revoked = await cli("devices", "revoke", phone.id, "--role", "operator");
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked the operator token of device ${phone.id}.`);
    expect(await fresh.peer.waitClose()).toEqual({ code: 1008, reason: "device token revoked" });
    const afterRevoke = track(
      await connectAsDevice(
        gateway.url,
        phone,
        { ...PHONE, auth: { deviceToken: rotation.token } },
        VIA_PROXY,
      ),
    );
    expect(afterRevoke.res.error?.message).toBe(
      "unauthorized: device token mismatch (rotate/reissue device token)",
    );

    // 10. Removed, the device is unknown again.
    expect((await cli("devices", "remove", phone.id)).stdout).toContain(`Removed device ${phone.id}.`);
    const list = JSON.parse((await cli("devices", "list", "--json")).stdout);
    expect(list.paired.map((device: { deviceId: string }) => device.deviceId)).not.toContain(phone.id);
  }, 60_000);

  it("does not let a local client in without the secret either: local or not, no secret means a pairing request", async () => {
    const local = track(await connectAsDevice(gateway.url, newDeviceKey(), PHONE));
    expect(local.res.error).toMatchObject({ code: "NOT_PAIRED", message: "pairing required" });
  });

  it("pairs a device that holds the shared secret at once, even from afar, and issues it a token", async () => {
    const admin = await operator(["operator.admin"]);
    const laptop = newDeviceKey();
    const withSecret: DeviceConnect = { ...PHONE, scopes: ["operator.write"], auth: { token: TEST_TOKEN } };
    const first = track(await connectAsDevice(gateway.url, laptop, withSecret, VIA_PROXY));
    expect(first.res.ok).toBe(true);
    expect(first.res.payload.auth).toMatchObject({ role: "operator", scopes: ["operator.write"] });
    await admin.until(() =>
      admin
        .events("device.pair.resolved")
        .find((e) => e.payload.deviceId === laptop.id && e.payload.decision === "approved"),
    );
    // The issued token now works without the secret.
    const tokenOnly: DeviceConnect = {
      ...PHONE,
      scopes: ["operator.write"],
      auth: { deviceToken: first.res.payload.auth.deviceToken },
    };
    const second = track(await connectAsDevice(gateway.url, laptop, tokenOnly, VIA_PROXY));
    expect(second.res.ok).toBe(true);
    expect((await second.peer.request("health")).ok).toBe(true);
  });

  it("gives the CLI its own device identity (0600 in a 0700 directory), paired via the secret, with its token kept", async () => {
    expect((await cli("devices", "list")).code).toBe(0);
    const dir = path.join(home.stateDir, "identity");
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    for (const file of ["device.json", "device-auth.json"]) {
      expect(fs.statSync(path.join(dir, file)).mode & 0o777).toBe(0o600);
    }
    const identity = JSON.parse(fs.readFileSync(path.join(dir, "device.json"), "utf8"));
    const tokens = JSON.parse(fs.readFileSync(path.join(dir, "device-auth.json"), "utf8"));
    expect(tokens.deviceId).toBe(identity.deviceId);
    const stored = tokens.gateways[`ws://127.0.0.1:${gateway.port}`].operator;
    const list = JSON.parse((await cli("devices", "list", "--json")).stdout);
    const cliDevice = list.paired.find(
      (device: { deviceId: string }) => device.deviceId === identity.deviceId,
    );
    expect(cliDevice).toMatchObject({ clientId: "cli", roles: ["operator"] });
    // The second call presented the kept token: no new token was issued, so the file did not change.
    const after = JSON.parse(fs.readFileSync(path.join(dir, "device-auth.json"), "utf8"));
    expect(after.gateways[`ws://127.0.0.1:${gateway.port}`].operator.token).toBe(stored.token);
  });

  /** Pairs `key` for `scopes` through an admin's RPCs and returns the device token its next connect gets. */
  async function pairThroughAdmin(
    key: ReturnType<typeof newDeviceKey>,
    connect: DeviceConnect,
    headers: Record<string, string>,
  ) {
    const admin = await operator(["operator.admin"]);
    const asked = track(await connectAsDevice(gateway.url, key, connect, headers));
    const requestId = (asked.res.error?.details as { requestId: string }).requestId;
    expect((await admin.request("device.pair.approve", { requestId })).ok).toBe(true);
    const claimed = track(await connectAsDevice(gateway.url, key, connect, headers));
    expect(claimed.res.ok).toBe(true);
    return claimed.res.payload.auth.deviceToken as string;
  }

  it("locks out an address after repeated wrong device tokens, even when it then sends the right one", async () => {
    const headers = { "x-forwarded-for": "198.51.100.9" };
    const tablet = newDeviceKey();
    const token = await pairThroughAdmin(tablet, PHONE, headers);
    for (let attempt = 0; attempt < 3; attempt++) {
      const wrong = track(
        await connectAsDevice(
          gateway.url,
          tablet,
          { ...PHONE, auth: { deviceToken: `wrong-${attempt}` } },
          headers,
        ),
      );
      expect(wrong.res.error?.message).toBe(
        "unauthorized: device token mismatch (rotate/reissue device token)",
      );
    }
    const right = track(
      await connectAsDevice(gateway.url, tablet, { ...PHONE, auth: { deviceToken: token } }, headers),
    );
    expect(right.res.error?.message).toBe(
      "unauthorized: too many failed authentication attempts (retry later)",
    );
  });

  it("bounds the pending requests one address can make", async () => {
    const headers = { "x-forwarded-for": "192.0.2.50" };
    for (let i = 0; i < 8; i++) {
      const asked = track(await connectAsDevice(gateway.url, newDeviceKey(), PHONE, headers));
      expect(asked.res.error?.message).toBe("pairing required");
    }
    const ninth = track(await connectAsDevice(gateway.url, newDeviceKey(), PHONE, headers));
    expect(ninth.res.error).toEqual({
      code: "NOT_PAIRED",
      message: "pairing required (too many pending requests; retry later)",
    });
  });

  it("refuses oversized device fields as invalid connect params", async () => {
    const key = newDeviceKey();
    const peer = await WsPeer.open(gateway.url);
    peers.push(peer);
    const res = await peer.connect({
      device: { id: key.id, publicKey: "A".repeat(5000), signature: "x", signedAt: Date.now() },
    });
    expect(res.error?.code).toBe("INVALID_REQUEST");
    expect(res.error?.message).toMatch(/^invalid connect params: at \/device\/publicKey/);
  });

  it("lets a device that came in on its token with only the pairing scope see and manage only itself", async () => {
    const headers = { "x-forwarded-for": "203.0.113.20" };
    const manager: DeviceConnect = { ...PHONE, scopes: ["operator.pairing"] };
    const key = newDeviceKey();
    const token = await pairThroughAdmin(key, manager, headers);
    const other = newDeviceKey();
    await pairThroughAdmin(other, PHONE, headers);
    const session = track(
      await connectAsDevice(gateway.url, key, { ...manager, auth: { deviceToken: token } }, headers),
    );
    expect(session.res.ok).toBe(true);
    const listed = await session.peer.request("device.pair.list", {});
    expect(listed.payload.paired.map((device: { deviceId: string }) => device.deviceId)).toEqual([key.id]);
    const removeOther = await session.peer.request("device.pair.remove", { deviceId: other.id });
    expect(removeOther.error?.message).toBe("device pairing: only operator.admin may manage another device");
  });

  it("pairs a CLI on another machine without the secret: refused with the approve command, approved, then in on its kept token", async () => {
    // A second machine's CLI: its own home and state dir, a remote-mode config with no secret in it.
    const laptop = makeTempHome();
    try {
      laptop.writeConfig({ gateway: { mode: "remote", remote: { url: gateway.url } } });
      const remoteCli = (...args: string[]) => runCli(args, laptop.env);
      const refused = await remoteCli("devices", "list");
      expect(refused.code).toBe(1);
      const [first, second] = refused.stderr.split("\n");
      expect(first).toMatch(
        /^pairing required: this device \([0-9a-f]{12}…\) waits for approval \(request [0-9a-f-]{36}\)$/,
      );
      const requestId = /request ([0-9a-f-]{36})/.exec(first ?? "")?.[1] as string;
      expect(second).toBe(`Approve it on the gateway host with: coderclaw devices approve ${requestId}`);

      expect((await cli("devices", "approve", requestId)).code).toBe(0);
      // The first connect after approval receives the token, which the CLI keeps...
      const claimed = await remoteCli("devices", "list", "--json");
      expect(claimed.code).toBe(0);
      const tokens = JSON.parse(
        fs.readFileSync(path.join(laptop.stateDir, "identity", "device-auth.json"), "utf8"),
      );
      expect(tokens.gateways[gateway.url].operator.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // ...and uses from then on, still without any secret.
      const again = await remoteCli("devices", "list", "--json");
      expect(again.code).toBe(0);
      const identity = JSON.parse(
        fs.readFileSync(path.join(laptop.stateDir, "identity", "device.json"), "utf8"),
      );
      const paired = JSON.parse(again.stdout).paired.find(
        (device: { deviceId: string }) => device.deviceId === identity.deviceId,
      );
      expect(paired.tokens).toEqual([
        expect.objectContaining({ role: "operator", awaitingDevice: false, revokedAtMs: null }),
      ]);

      // Rotating its own token, the CLI keeps the new one and goes on connecting with it.
      const rotated = await remoteCli("devices", "rotate", identity.deviceId, "--json");
      expect(rotated.code).toBe(0);
      const kept = JSON.parse(
        fs.readFileSync(path.join(laptop.stateDir, "identity", "device-auth.json"), "utf8"),
      );
      expect(kept.gateways[gateway.url].operator.token).toBe(JSON.parse(rotated.stdout).token);
      expect((await remoteCli("devices", "list")).code).toBe(0);
    } finally {
      laptop.cleanup();
    }
  }, 60_000);

  it("lets a pairing-only operator approve no more than it holds, and lists requests as text", async () => {
    const headers = { "x-forwarded-for": "203.0.113.30" };
    const pairingOnly = await operator(["operator.pairing"]);
    const key = newDeviceKey();
    const asked = track(
      await connectAsDevice(gateway.url, key, { ...PHONE, scopes: ["operator.admin"] }, headers),
    );
    const requestId = (asked.res.error?.details as { requestId: string }).requestId;

    const listed = await cli("devices", "list");
    expect(listed.code).toBe(0);
    const lines = listed.stdout.split("\n");
    const at = lines.findIndex((line) => line.startsWith(`- ${requestId}  device ${key.id.slice(0, 12)}`));
    expect(at).toBeGreaterThan(0);
    expect(lines[at]).toContain("(coderclaw-android, Android 14) from 203.0.113.30");
    expect(lines[at + 1]).toMatch(/^ {4}requested: operator \[operator\.admin\]; expires in /);

    const denied = await pairingOnly.request("device.pair.approve", { requestId });
    expect(denied.error).toEqual({ code: "INVALID_REQUEST", message: "missing scope: operator.admin" });
    const stillPending = await pairingOnly.request("device.pair.list", {});
    expect(stillPending.payload.pending.map((r: { requestId: string }) => r.requestId)).toContain(requestId);
    expect((await pairingOnly.request("device.pair.reject", { requestId })).payload).toMatchObject({
      deviceId: key.id,
      decision: "rejected",
    });
    const unknown = await pairingOnly.request("device.pair.approve", { requestId });
    expect(unknown.error?.message).toBe(`unknown requestId: ${requestId}`);
  });
});
