import { X509Certificate } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { generate } from "selfsigned";
import type { TlsFiles } from "../config/tls-files.js";
import { certificateFingerprint } from "../protocol/tls-fingerprint.js";

/** What the listener serves: PEM text, and the fingerprint clients pin. */
export interface GatewayTlsMaterial {
  cert: string;
  key: string;
  fingerprint: string;
  files: TlsFiles;
  /** `generated` only on the start that created the pair; later starts reuse it. */
  origin: "configured" | "generated" | "reused";
}

export class GatewayTlsError extends Error {
  constructor(reason: string) {
    super(`gateway tls: failed to enable: ${reason}`);
  }
}

const VALID_DAYS = 3650;
const NO_CERTIFICATE = "set gateway.tls.certPath and gateway.tls.keyPath, or gateway.tls.autoGenerate: true";
const PRIVATE_FILE = 0o600;
const PRIVATE_DIR = 0o700;

function readPem(file: string, what: string, setting: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new GatewayTlsError(`cannot read the ${what} ${file} (${setting}): ${reason}`);
  }
}

/** Parses the pair as the listener will use it, so a bad file fails the start, not the first client. */
function checkedMaterial(cert: string, key: string, ca: string | null, files: TlsFiles): string {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (error) {
    throw new GatewayTlsError(`${files.certPath} is not a PEM certificate (${(error as Error).message})`);
  }
  try {
    tls.createSecureContext({ cert: ca ? `${cert.trimEnd()}\n${ca}` : cert, key });
  } catch (error) {
    throw new GatewayTlsError(
      `the key ${files.keyPath} does not fit the certificate ${files.certPath} (${(error as Error).message})`,
    );
  }
  return certificateFingerprint(x509);
}

function isExpired(cert: string): boolean {
  return Date.parse(new X509Certificate(cert).validTo) <= Date.now();
}

/** The generated pair as it is on disk: null when it is missing or expired (a new one is due). */
function existingGenerated(files: TlsFiles): GatewayTlsMaterial | null {
  if (!fs.existsSync(files.certPath) || !fs.existsSync(files.keyPath)) return null;
  const cert = readPem(files.certPath, "generated certificate", "gateway.tls.autoGenerate");
  const key = readPem(files.keyPath, "generated key", "gateway.tls.autoGenerate");
  let fingerprint: string;
  try {
    fingerprint = checkedMaterial(cert, key, null, files);
  } catch (error) {
    throw new GatewayTlsError(
      `${(error as Error).message.replace(/^gateway tls: failed to enable: /, "")}; delete ${path.dirname(files.certPath)} to generate a new certificate`,
    );
  }
  return isExpired(cert) ? null : { cert, key, fingerprint, files, origin: "reused" };
}

/**
 * Checks `gateway.tls` as a start would use it, synchronously and without writing anything (a pair
 * still to be generated passes): an in-process restart calls it first, so that a bad certificate
 * path in an edited config keeps the running gateway instead of stopping it.
 */
export function checkTlsFiles(files: TlsFiles, autoGenerate: boolean): void {
  if (files.source === "generated") {
    if (!autoGenerate) throw new GatewayTlsError(NO_CERTIFICATE);
    existingGenerated(files);
    return;
  }
  configuredMaterial(files);
}

/** The configured pair, with `gateway.tls.caPath` (intermediates) served after the certificate. */
function configuredMaterial(files: TlsFiles): GatewayTlsMaterial {
  if (!files.certPath || !files.keyPath) {
    throw new GatewayTlsError("gateway.tls.certPath and gateway.tls.keyPath must be set together");
  }
  const ca = files.caPath ? readPem(files.caPath, "CA bundle", "gateway.tls.caPath") : null;
  const cert = readPem(files.certPath, "certificate", "gateway.tls.certPath");
  const key = readPem(files.keyPath, "key", "gateway.tls.keyPath");
  const fingerprint = checkedMaterial(cert, key, ca, files);
  return { cert: ca ? `${cert.trimEnd()}\n${ca}` : cert, key, fingerprint, files, origin: "configured" };
}

/** A self-signed certificate for this host: RSA-2048, CN `coderclaw-gateway`, 10 years. */
export async function generateSelfSigned(hostname = os.hostname()): Promise<{ cert: string; key: string }> {
  const notBeforeDate = new Date();
  const notAfterDate = new Date(notBeforeDate.getTime() + VALID_DAYS * 24 * 3600 * 1000);
  const names = [...new Set(["localhost", hostname.toLowerCase()].filter(Boolean))];
  const pems = await generate([{ name: "commonName", value: "coderclaw-gateway" }], {
    keyType: "rsa",
    keySize: 2048,
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          ...names.map((value) => ({ type: 2 as const, value })),
          { type: 7 as const, ip: "127.0.0.1" },
          { type: 7 as const, ip: "::1" },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** Written under a temporary name first, so a crash never leaves half a key behind. */
function writePrivate(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, text, { mode: PRIVATE_FILE });
  fs.renameSync(temp, file);
}

async function generatedMaterial(files: TlsFiles): Promise<GatewayTlsMaterial> {
  const dir = path.dirname(files.certPath);
  const existing = existingGenerated(files);
  if (existing) {
    for (const file of [files.certPath, files.keyPath]) fs.chmodSync(file, PRIVATE_FILE);
    return existing;
  }
  try {
    fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
    fs.chmodSync(dir, PRIVATE_DIR);
    const pair = await generateSelfSigned();
    // The key first: a cert without its key is never left to be reused.
    writePrivate(files.keyPath, pair.key);
    writePrivate(files.certPath, pair.cert);
    const fingerprint = checkedMaterial(pair.cert, pair.key, null, files);
    return { ...pair, fingerprint, files, origin: "generated" };
  } catch (error) {
    if (error instanceof GatewayTlsError) throw error;
    throw new GatewayTlsError(`cannot write a certificate to ${dir}: ${(error as Error).message}`);
  }
}

/**
 * The certificate the gateway serves when `gateway.tls.enabled`: the configured pair, or the
 * self-signed one generated on the first start and reused after (0600 files in a 0700 dir).
 */
export async function loadGatewayTls(files: TlsFiles, autoGenerate: boolean): Promise<GatewayTlsMaterial> {
  if (files.source === "configured") return configuredMaterial(files);
  if (!autoGenerate) throw new GatewayTlsError(NO_CERTIFICATE);
  return generatedMaterial(files);
}
