import fs from "node:fs";
import path from "node:path";
import { useGateway } from "./helpers/gateway-fixture.js";
import { localConfig, runCli } from "./helpers/gateway-process.js";
import {
  connectAsDevice,
  newDeviceKey,
  PHONE,
  type DeviceConnect,
  type DeviceKey,
} from "./helpers/device-keys.js";
import type { WsPeer } from "./helpers/ws-peer.js";

const TABLET: DeviceConnect = {
  client: { id: "coderclaw-ios", version: "3.0.0", platform: "iPadOS 17", mode: "ui", deviceFamily: "iPad" },
  role: "operator",
  scopes: ["operator.read", "operator.write"],
};
/** Devices reach the gateway through the trusted reverse proxy on loopback, which names their address. */
const from = (address: string) => ({ "x-forwarded-for": address });
/** Each test runs the CLI several times: on a loaded machine one run can take seconds. */
const CLI_TEST_TIMEOUT_MS = 60_000;

describe("coderclaw devices approve (preview) and devices clear against a running gateway", () => {
  const fixture = useGateway(localConfig({ trustedProxies: ["127.0.0.1"] }));
  const devicePeers: WsPeer[] = [];
  afterEach(() => devicePeers.splice(0).forEach((peer) => peer.close()));
  const cli = (...args: string[]) =>
    runCli(args, { ...fixture.home.env, CODERCLAW_GATEWAY_PORT: String(fixture.gateway.port) });

  async function connectDevice(key: DeviceKey, connect: DeviceConnect, address: string) {
    const opened = await connectAsDevice(fixture.url, key, connect, from(address));
    devicePeers.push(opened.peer);
    return opened.res;
  }

  /** A device asks to be paired (no secret): refused with NOT_PAIRED and a request id. */
  async function askPairing(key: DeviceKey, connect: DeviceConnect, address: string): Promise<string> {
    const res = await connectDevice(key, connect, address);
    expect(res.error).toMatchObject({ code: "NOT_PAIRED", message: "pairing required" });
    return (res.error?.details as { requestId: string }).requestId;
  }

  /** Pairs `key` through an admin's RPC and returns the device token its next connect receives. */
  async function pairDevice(key: DeviceKey, connect: DeviceConnect, address: string): Promise<string> {
    const admin = await fixture.connected({ scopes: ["operator.admin"] });
    const requestId = await askPairing(key, connect, address);
    expect((await admin.request("device.pair.approve", { requestId })).ok).toBe(true);
    const claimed = await connectDevice(key, connect, address);
    expect(claimed.ok).toBe(true);
    return claimed.payload.auth.deviceToken as string;
  }

  const pendingIds = async () => {
    const listed = await cli("devices", "list", "--json");
    expect(listed.code).toBe(0);
    return JSON.parse(listed.stdout).pending.map((request: { requestId: string }) => request.requestId);
  };

  it(
    "without a request id only previews the newest pending request: nothing is approved until its id is given",
    async () => {
      const phone = newDeviceKey();
      const tablet = newDeviceKey();
      const older = await askPairing(phone, PHONE, "203.0.113.7");
      const newest = await askPairing(tablet, TABLET, "198.51.100.4");

      const preview = await cli("devices", "approve");
      expect(preview.code).toBe(1);
      const lines = preview.stdout.trimEnd().split("\n");
      expect(lines.slice(0, 6)).toEqual([
        `Newest pending request: ${newest}`,
        `  device:   ${tablet.id}`,
        "  client:   coderclaw-ios, iPadOS 17 (iPad)",
        "  asks for: operator [operator.read, operator.write]",
        "  paired:   no, a first pairing",
        "  from:     198.51.100.4",
      ]);
      expect(lines[6]).toMatch(/^ {2}asked: {4}\d+s ago; expires in 5m$/);
      expect(preview.stderr.trimEnd().split("\n")).toEqual([
        "Nothing was approved. If this is the device you expect, approve it with:",
        `  coderclaw devices approve ${newest}`,
      ]);

      // --latest previews as well, also when a request id is given, and --json says so for scripts.
      const latest = await cli("devices", "approve", older, "--latest", "--json");
      expect(latest.code).toBe(1);
      expect(JSON.parse(latest.stdout)).toEqual({
        approved: false,
        request: expect.objectContaining({
          requestId: newest,
          deviceId: tablet.id,
          role: "operator",
          scopes: ["operator.read", "operator.write"],
          remoteIp: "198.51.100.4",
        }),
        approvedNow: null,
        approveCommand: `coderclaw devices approve ${newest}`,
      });

      // Neither preview minted anything: both devices are still refused, their requests still pending.
      expect((await connectDevice(tablet, TABLET, "198.51.100.4")).error).toMatchObject({
        code: "NOT_PAIRED",
        details: { requestId: newest },
      });
      expect((await connectDevice(phone, PHONE, "203.0.113.7")).error?.code).toBe("NOT_PAIRED");
      expect(await pendingIds()).toEqual(expect.arrayContaining([older, newest]));

      // The command the preview printed approves that request, and only it.
      const approved = await cli(...`devices approve ${newest}`.split(" "));
      expect(approved.code).toBe(0);
      expect(approved.stdout).toBe(
        `Approved device ${tablet.id} as operator [operator.read, operator.write].\n`,
      );
      const claimed = await connectDevice(tablet, TABLET, "198.51.100.4");
      expect(claimed.ok).toBe(true);
      expect(claimed.payload.auth).toMatchObject({
        role: "operator",
        scopes: ["operator.read", "operator.write"],
      });
      expect(await pendingIds()).toContain(older);
      expect(await pendingIds()).not.toContain(newest);
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "previews a paired device's upgrade next to what it holds now, and names the flags to approve it with",
    async () => {
      const tablet = newDeviceKey();
      const token = await pairDevice(tablet, PHONE, "198.51.100.5");
      const upgrade = await askPairing(
        tablet,
        { ...PHONE, scopes: ["operator.admin"], auth: { deviceToken: token } },
        "198.51.100.5",
      );

      const preview = await cli("devices", "approve", "--latest", "--port", String(fixture.gateway.port));
      expect(preview.code).toBe(1);
      expect(preview.stdout).toContain(`Newest pending request: ${upgrade}\n`);
      expect(preview.stdout).toContain("  asks for: operator [operator.admin]\n");
      expect(preview.stdout).toContain(
        "  paired:   already, as operator [operator.read]: this asks for more\n",
      );
      expect(preview.stderr).toContain(
        `  coderclaw devices approve ${upgrade} --port ${fixture.gateway.port}\n`,
      );
      // The device keeps exactly what it had: its token still works for read, and admin is still refused.
      expect(
        (await connectDevice(tablet, { ...PHONE, auth: { deviceToken: token } }, "198.51.100.5")).ok,
      ).toBe(true);
      const greedy = await connectDevice(
        tablet,
        { ...PHONE, scopes: ["operator.admin"], auth: { deviceToken: token } },
        "198.51.100.5",
      );
      expect(greedy.error).toMatchObject({ code: "NOT_PAIRED", details: { requestId: upgrade } });
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "shows what a device says about itself with terminal escapes and line breaks defused",
    async () => {
      const forged: DeviceConnect = {
        ...PHONE,
        client: { ...PHONE.client, platform: "Android\u001b[2J\nApproved device", deviceFamily: "Pixel\r" },
      };
      const requestId = await askPairing(newDeviceKey(), forged, "203.0.113.15");
      const preview = await cli("devices", "approve", "--latest");
      expect(preview.code).toBe(1);
      expect(preview.stdout).toContain(`Newest pending request: ${requestId}\n`);
      expect(preview.stdout).toContain(
        "  client:   coderclaw-android, Android?[2J?Approved device (Pixel?)\n",
      );
      expect(preview.stdout).not.toContain("\u001b");
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "refuses to clear without --yes, says what it would do, and changes nothing",
    async () => {
      const phone = newDeviceKey();
      const token = await pairDevice(phone, PHONE, "203.0.113.8");
      const waiting = await askPairing(newDeviceKey(), PHONE, "203.0.113.9");
      const before = JSON.parse((await cli("devices", "list", "--json")).stdout);

      for (const args of [
        ["devices", "clear"],
        ["devices", "clear", "--pending", "--json"],
      ]) {
        const refused = await cli(...args);
        expect(refused.code).toBe(1);
        expect(refused.stdout).toBe("");
        const pending = args.includes("--pending");
        expect(refused.stderr.trimEnd().split("\n")).toEqual([
          `Refusing to clear without --yes: this removes every paired device${pending ? " and rejects every pending request" : ""}. Nothing was changed.`,
          `Review with coderclaw devices list, then run coderclaw devices clear --yes${pending ? " --pending" : ""}`,
        ]);
      }

      const after = JSON.parse((await cli("devices", "list", "--json")).stdout);
      const ids = (list: { paired: { deviceId: string }[] }) => list.paired.map((device) => device.deviceId);
      expect(ids(after)).toEqual(ids(before));
      expect(ids(after)).toContain(phone.id);
      expect(after.pending.map((request: { requestId: string }) => request.requestId)).toContain(waiting);
      expect((await connectDevice(phone, { ...PHONE, auth: { deviceToken: token } }, "203.0.113.8")).ok).toBe(
        true,
      );
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "clear --yes removes every paired device, closes their token connections (1008), and leaves pending requests",
    async () => {
      const admin = await fixture.connected({ scopes: ["operator.admin"] });
      const phone = newDeviceKey();
      const token = await pairDevice(phone, PHONE, "203.0.113.10");
      const live = await connectAsDevice(
        fixture.url,
        phone,
        { ...PHONE, auth: { deviceToken: token } },
        from("203.0.113.10"),
      );
      devicePeers.push(live.peer);
      expect(live.res.ok).toBe(true);
      const waiting = await askPairing(newDeviceKey(), PHONE, "203.0.113.11");
      const listed = JSON.parse((await cli("devices", "list", "--json")).stdout);
      const pairedIds = listed.paired.map((device: { deviceId: string }) => device.deviceId);
      const cliDeviceId = JSON.parse(
        fs.readFileSync(path.join(fixture.home.stateDir, "identity", "device.json"), "utf8"),
      ).deviceId;
      expect(pairedIds).toEqual(expect.arrayContaining([phone.id, cliDeviceId]));

      const cleared = await cli("devices", "clear", "--yes");
      expect(cleared.stderr).toBe("");
      expect(cleared.code).toBe(0);
      expect(cleared.stdout.trimEnd().split("\n")).toEqual([
        `Removed ${pairedIds.length} paired devices:`,
        ...pairedIds.map((deviceId: string) => `- ${deviceId}`),
      ]);

      expect(await live.peer.waitClose()).toEqual({ code: 1008, reason: "device removed" });
      const refused = await connectDevice(phone, { ...PHONE, auth: { deviceToken: token } }, "203.0.113.10");
      expect(refused.error?.message).toBe(
        "unauthorized: device token mismatch (rotate/reissue device token)",
      );
      // Pending requests stay (no --pending), and nobody was told one was rejected.
      const after = JSON.parse((await cli("devices", "list", "--json")).stdout);
      expect(after.pending.map((request: { requestId: string }) => request.requestId)).toContain(waiting);
      expect(admin.events("device.pair.resolved").filter((e) => e.payload.decision === "rejected")).toEqual(
        [],
      );
      // The CLI holds the secret: its next command paired it again; the phone is gone for good.
      expect(after.paired.map((device: { deviceId: string }) => device.deviceId)).toEqual([cliDeviceId]);
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "clear --yes --pending --json also rejects every pending request; afterwards approve has nothing to preview",
    async () => {
      const admin = await fixture.connected({ scopes: ["operator.admin"] });
      const phone = newDeviceKey();
      await pairDevice(phone, PHONE, "203.0.113.12");
      const stranger = newDeviceKey();
      const waiting = await askPairing(stranger, PHONE, "203.0.113.13");
      const listed = JSON.parse((await cli("devices", "list", "--json")).stdout);

      const cleared = await cli("devices", "clear", "--yes", "--pending", "--json");
      expect(cleared.code).toBe(0);
      const result = JSON.parse(cleared.stdout);
      expect(result).toEqual({
        removedDevices: listed.paired.map((device: { deviceId: string }) => device.deviceId),
        rejectedPending: listed.pending.map((request: { requestId: string }) => request.requestId),
      });
      expect(result.removedDevices).toContain(phone.id);
      expect(result.rejectedPending).toContain(waiting);
      const rejected = await admin.until(() =>
        admin.events("device.pair.resolved").find((e) => e.payload.requestId === waiting),
      );
      expect(rejected.payload).toMatchObject({ deviceId: stranger.id, decision: "rejected" });

      const nothing = await cli("devices", "approve");
      expect(nothing.code).toBe(1);
      expect(nothing.stdout).toBe("");
      expect(nothing.stderr).toBe("No pending device pairing requests to approve.\n");
      // The rejected device has to ask again: a new request, not the old one.
      expect(await askPairing(stranger, PHONE, "203.0.113.13")).not.toBe(waiting);

      const text = await cli("devices", "clear", "--yes", "--pending");
      expect(text.code).toBe(0);
      expect(text.stdout.trimEnd().split("\n")).toEqual([
        "Removed 1 paired device:",
        expect.stringMatching(/^- [0-9a-f]{64}$/),
        "Rejected 1 pending request:",
        expect.stringMatching(/^- [0-9a-f-]{36}$/),
      ]);
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it("lets a device-token session without admin clear only its own device", async () => {
    const manager: DeviceConnect = { ...PHONE, scopes: ["operator.pairing"] };
    const key = newDeviceKey();
    const token = await pairDevice(key, manager, "203.0.113.14");
    const other = newDeviceKey();
    const otherToken = await pairDevice(other, PHONE, "203.0.113.14");
    const session = await connectAsDevice(
      fixture.url,
      key,
      { ...manager, auth: { deviceToken: token } },
      from("203.0.113.14"),
    );
    devicePeers.push(session.peer);
    expect(session.res.ok).toBe(true);

    const cleared = await session.peer.request("device.pair.clear", { pending: true });
    expect(cleared.payload).toEqual({ removedDevices: [key.id], rejectedPending: [] });
    expect(await session.peer.waitClose()).toEqual({ code: 1008, reason: "device removed" });
    expect(
      (await connectDevice(other, { ...PHONE, auth: { deviceToken: otherToken } }, "203.0.113.14")).ok,
    ).toBe(true);
  });

  it("refuses device.pair.clear params it does not know", async () => {
    const admin = await fixture.connected({ scopes: ["operator.admin"] });
    for (const params of [{ pending: "yes" }, { pending: true, deviceId: "x" }]) {
      const res = await admin.request("device.pair.clear", params);
      expect(res.error?.code).toBe("INVALID_REQUEST");
      expect(res.error?.message).toMatch(/^invalid device\.pair\.clear params: /);
    }
  });
});
