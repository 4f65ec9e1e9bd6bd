import { X509Certificate } from "node:crypto";

/**
 * A certificate's SHA-256 fingerprint as openssl prints it: upper-case hex pairs joined by colons
 * (`AB:CD:...`, 95 characters).
 */
export function certificateFingerprint(certificate: string | Buffer | X509Certificate): string {
  const x509 = certificate instanceof X509Certificate ? certificate : new X509Certificate(certificate);
  return x509.fingerprint256;
}

function formatFingerprint(hex: string): string {
  return hex.toUpperCase().match(/../g)!.join(":");
}

/**
 * A pinned fingerprint as users write it: with or without colons or spaces, any case, optionally
 * prefixed `sha256:` / `SHA256=` (openssl's `SHA256 Fingerprint=`). Null unless it is 32 bytes of hex.
 */
export function normalizeFingerprint(value: string): string | null {
  const hex = value
    .trim()
    .replace(/^sha-?256( fingerprint)?\s*[:=]?\s*/i, "")
    .replace(/[\s:]/g, "");
  return /^[0-9a-f]{64}$/i.test(hex) ? formatFingerprint(hex) : null;
}
