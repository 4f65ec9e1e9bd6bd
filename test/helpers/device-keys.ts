import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { connectParams, WsPeer, type Frame } from "./ws-peer.js";

/** An Ed25519 device identity as REFERENCE §5.4 describes it: raw key base64url, id = hex sha256(raw). */
export interface DeviceKey {
  id: string;
  publicKey: string;
  privateKey: KeyObject;
}

export function newDeviceKey(): DeviceKey {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const der = publicKey.export({ format: "der", type: "spki" });
  const raw = der.subarray(der.length - 32);
  return {
    id: createHash("sha256").update(raw).digest("hex"),
    publicKey: raw.toString("base64url"),
    privateKey,
  };
}

export interface DeviceConnect {
  client: { id: string; version: string; platform: string; mode: string; deviceFamily?: string };
  role: string;
  scopes?: string[];
  auth?: { token?: string; password?: string; deviceToken?: string };
}

const lower = (value: string | undefined) => (value ?? "").trim().replace(/[A-Z]/g, (c) => c.toLowerCase());

/**
 * `v3|deviceId|clientId|clientMode|role|scopes|signedAtMs|token|nonce|platform|deviceFamily`, built from
 * the description in the issue: the token is auth.token, else auth.deviceToken, else "".
 */
export function v3Signature(key: DeviceKey, connect: DeviceConnect, signedAt: number, nonce: string): string {
  const payload = [
    "v3",
    key.id,
    connect.client.id,
    connect.client.mode,
    connect.role,
    (connect.scopes ?? []).join(","),
    String(signedAt),
    connect.auth?.token || connect.auth?.deviceToken || "",
    nonce,
    lower(connect.client.platform),
    lower(connect.client.deviceFamily),
  ].join("|");
  return sign(null, Buffer.from(payload, "utf8"), key.privateKey).toString("base64url");
}

/** Opens a socket (with `headers`, e.g. a proxy's), answers the challenge with a v3-signed connect. */
export async function connectAsDevice(
  url: string,
  key: DeviceKey,
  connect: DeviceConnect,
  headers: Record<string, string> = {},
): Promise<{ peer: WsPeer; res: Frame }> {
  const peer = await WsPeer.open(url, { headers });
  const nonce = (await peer.challenge()).payload.nonce as string;
  const signedAt = Date.now();
  peer.send({
    type: "req",
    id: "connect",
    method: "connect",
    params: connectParams({
      client: connect.client,
      role: connect.role,
      ...(connect.scopes ? { scopes: connect.scopes } : {}),
      ...(connect.auth ? { auth: connect.auth } : {}),
      device: {
        id: key.id,
        publicKey: key.publicKey,
        signature: v3Signature(key, connect, signedAt, nonce),
        signedAt,
        nonce,
      },
    }),
  });
  return { peer, res: await peer.response("connect") };
}

/** An Android phone asking for read access: the device most pairing tests pair. */
export const PHONE: DeviceConnect = {
  client: {
    id: "coderclaw-android",
    version: "2.1.0",
    platform: "Android 14",
    mode: "ui",
    deviceFamily: "Pixel",
  },
  role: "operator",
  scopes: ["operator.read"],
};
