import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEVICE_PAIRING_TTL_MS, DeviceStore, type DeviceDescription } from "../src/devices/device-store.js";
import { StateStore } from "../src/store/state-store.js";

function describeDevice(deviceId: string, remoteIp = "203.0.113.7"): DeviceDescription {
  return {
    deviceId,
    publicKey: `key-of-${deviceId}`,
    clientId: "coderclaw-ios",
    clientMode: "ui",
    platform: "ios",
    deviceFamily: "iPhone",
    displayName: "x".repeat(10_000),
    remoteIp,
  };
}

describe("the paired-device store in state.db", () => {
  let dir: string;
  let file: string;
  let state: StateStore;
  let now: number;
  let store: DeviceStore;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-devices-"));
    file = path.join(dir, "state.db");
    state = StateStore.open(file);
    now = 1_000_000;
    store = new DeviceStore(state.database, () => now);
  });
  afterEach(() => {
    state.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("keeps one request per device: the same ask keeps its id, a different one replaces it", () => {
    const first = store.requestPairing(describeDevice("d1"), "operator", ["operator.read"]);
    const again = store.requestPairing(describeDevice("d1"), "operator", ["operator.read"]);
    expect(first.kind).toBe("created");
    expect(again).toEqual({ kind: "pending", request: (first as { request: unknown }).request });
    const wider = store.requestPairing(describeDevice("d1"), "operator", ["operator.admin"]);
    expect(wider.kind).toBe("created");
    expect(store.pending().map((request) => request.scopes)).toEqual([["operator.admin"]]);
  });

  it("forgets a request after 5 minutes", () => {
    const created = store.requestPairing(describeDevice("d1"), "operator", []);
    const requestId = (created as { request: { requestId: string } }).request.requestId;
    now += DEVICE_PAIRING_TTL_MS - 1;
    expect(store.request(requestId)).not.toBeNull();
    now += 1;
    expect(store.request(requestId)).toBeNull();
    expect(store.approve(requestId)).toBeNull();
  });

  it("stores client descriptions bounded", () => {
    store.requestPairing(describeDevice("d1"), "operator", []);
    expect(store.pending()[0]?.displayName).toHaveLength(256);
  });

  it("keeps a device token only as its SHA-256 hash, and checks it against role and revocation", () => {
    store.pair(describeDevice("d1"), "operator", ["operator.read"]);
    const issued = store.tokens.issue("d1", "operator", ["operator.read"]);
    state.close();
    const bytes = fs.readFileSync(file).toString("latin1") + readIfExists(`${file}-wal`);
    expect(bytes).not.toContain(issued.deviceToken);
    expect(bytes).toContain(createHash("sha256").update(issued.deviceToken).digest("hex"));
    state = StateStore.open(file);
    store = new DeviceStore(state.database, () => now);
    expect(store.tokens.check("d1", "operator", issued.deviceToken)).toEqual({
      ok: true,
      scopes: ["operator.read"],
    });
    expect(store.tokens.check("d1", "node", issued.deviceToken)).toEqual({ ok: false });
    expect(store.tokens.check("d2", "operator", issued.deviceToken)).toEqual({ ok: false });
    expect(store.tokens.check("d1", "operator", `${issued.deviceToken}x`)).toEqual({ ok: false });
    expect(store.tokens.revoke("d1", "operator")).toBe(now);
    expect(store.tokens.check("d1", "operator", issued.deviceToken)).toEqual({ ok: false });
  });

  it("hands out an approval's token once, and only within the approved scopes", () => {
    const created = store.requestPairing(describeDevice("d1"), "operator", ["operator.read"]);
    store.approve((created as { request: { requestId: string } }).request.requestId);
    expect(store.tokens.claimApproved("d1", "operator", ["operator.write"])).toBeNull();
    const claimed = store.tokens.claimApproved("d1", "operator", undefined);
    expect(claimed).toMatchObject({ role: "operator", scopes: ["operator.read"] });
    expect(store.tokens.claimApproved("d1", "operator", undefined)).toBeNull();
    expect(store.paired("d1")?.tokens).toEqual([
      expect.objectContaining({ role: "operator", awaitingDevice: false, issuedAtMs: now }),
    ]);
  });

  it("removes a device with its tokens and pending requests", () => {
    store.pair(describeDevice("d1"), "operator", []);
    const issued = store.tokens.issue("d1", "operator", []);
    store.requestPairing(describeDevice("d1"), "operator", ["operator.admin"]);
    expect(store.remove("d1")).toBe(true);
    expect(store.paired("d1")).toBeNull();
    expect(store.pending()).toEqual([]);
    expect(store.tokens.check("d1", "operator", issued.deviceToken)).toEqual({ ok: false });
  });
});

function readIfExists(file: string): string {
  return fs.existsSync(file) ? fs.readFileSync(file).toString("latin1") : "";
}
