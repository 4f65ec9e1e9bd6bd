import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";

export interface DeviceBlock {
  id: string;
  publicKey: string;
  signature: string;
  signedAt: number;
  nonce?: string;
}

export interface SignedFields {
  clientId: string;
  clientMode: string;
  role: string;
  scopes: string[];
  /** `auth.token`, else `auth.deviceToken`, else `auth.bootstrapToken`, else "". */
  token: string;
  /** `client.platform` / `client.deviceFamily` as sent (normalized for v3 here). */
  platform?: string;
  deviceFamily?: string;
}

/** The token a client signs: the first of `auth.token`, `auth.deviceToken`, `auth.bootstrapToken`. */
export function signedToken(
  auth: { token?: string; deviceToken?: string; bootstrapToken?: string } = {},
): string {
  return auth.token || auth.deviceToken || auth.bootstrapToken || "";
}

/** v3 signs platform and device family trimmed and ASCII-lower-cased (other letters untouched), "" when absent. */
export function normalizeSignedMetadata(value: string | undefined): string {
  return (value ?? "").trim().replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}

export type DeviceCheck = { ok: true; deviceId: string } | { ok: false; message: string };

const SIGNATURE_SKEW_MS = 10 * 60_000;
// DER SubjectPublicKeyInfo header for a raw 32-byte Ed25519 key.
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

function fromBase64Url(text: string): Buffer {
  return Buffer.from(text.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

function loadPublicKey(text: string): { key: KeyObject; raw: Buffer } | null {
  try {
    if (text.includes("BEGIN PUBLIC KEY")) {
      const key = createPublicKey(text);
      const der = key.export({ format: "der", type: "spki" });
      return { key, raw: der.subarray(der.length - 32) };
    }
    const raw = fromBase64Url(text);
    if (raw.length !== 32) return null;
    const key = createPublicKey({
      key: Buffer.concat([ED25519_SPKI_PREFIX, raw]),
      format: "der",
      type: "spki",
    });
    return { key, raw };
  } catch {
    return null;
  }
}

export function deviceIdForPublicKey(raw: Buffer): string {
  return createHash("sha256").update(raw).digest("hex");
}

export type SignatureVersion = "v1" | "v2" | "v3";

/**
 * `v3|deviceId|clientId|clientMode|role|scopes|signedAtMs|token|nonce|platform|deviceFamily`;
 * v2 is the same without the last two fields, v1 also without the nonce.
 */
export function deviceSignaturePayload(
  device: Pick<DeviceBlock, "id" | "signedAt" | "nonce">,
  fields: SignedFields,
  version: SignatureVersion = device.nonce !== undefined ? "v2" : "v1",
): string {
  const base = [
    device.id,
    fields.clientId,
    fields.clientMode,
    fields.role,
    fields.scopes.join(","),
    String(device.signedAt),
    fields.token,
  ];
  if (version === "v1") return ["v1", ...base].join("|");
  const withNonce = [...base, device.nonce ?? ""];
  if (version === "v2") return ["v2", ...withNonce].join("|");
  return [
    "v3",
    ...withNonce,
    normalizeSignedMetadata(fields.platform),
    normalizeSignedMetadata(fields.deviceFamily),
  ].join("|");
}

/** REFERENCE §5.4, in the order of the handshake table. */
export function verifyDevice(
  device: DeviceBlock,
  fields: SignedFields,
  challengeNonce: string,
  isLocal: boolean,
  now = Date.now(),
): DeviceCheck {
  const publicKey = loadPublicKey(device.publicKey);
  if (publicKey && deviceIdForPublicKey(publicKey.raw) !== device.id) {
    return { ok: false, message: "device identity mismatch" };
  }
  if (Math.abs(now - device.signedAt) > SIGNATURE_SKEW_MS)
    return { ok: false, message: "device signature expired" };
  if (device.nonce === undefined && !isLocal) return { ok: false, message: "device nonce required" };
  if (device.nonce !== undefined && device.nonce !== challengeNonce) {
    return { ok: false, message: "device nonce mismatch" };
  }
  if (!publicKey) return { ok: false, message: "device public key invalid" };
  const signature = fromBase64Url(device.signature);
  // With a nonce the client signed v3 (current clients) or v2; without one, only v1 (local clients).
  const versions: SignatureVersion[] = device.nonce !== undefined ? ["v3", "v2"] : ["v1"];
  const valid = versions.some((version) => {
    const payload = Buffer.from(deviceSignaturePayload(device, fields, version), "utf8");
    try {
      return verify(null, payload, publicKey.key, signature);
    } catch {
      return false;
    }
  });
  return valid ? { ok: true, deviceId: device.id } : { ok: false, message: "device signature invalid" };
}
