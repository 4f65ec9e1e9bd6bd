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
  token: string;
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

/** `v2|deviceId|clientId|clientMode|role|scopes|signedAtMs|token|nonce` (v1 without the nonce). */
export function deviceSignaturePayload(
  device: Pick<DeviceBlock, "id" | "signedAt" | "nonce">,
  fields: SignedFields,
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
  return device.nonce !== undefined ? ["v2", ...base, device.nonce].join("|") : ["v1", ...base].join("|");
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
  const payload = Buffer.from(deviceSignaturePayload(device, fields), "utf8");
  let valid: boolean;
  try {
    valid = verify(null, payload, publicKey.key, fromBase64Url(device.signature));
  } catch {
    valid = false;
  }
  return valid ? { ok: true, deviceId: device.id } : { ok: false, message: "device signature invalid" };
}
