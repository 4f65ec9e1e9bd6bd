import fs from "node:fs";
import type { ConfigSnapshot } from "../config/load.js";
import { resolveStateDir, type Env } from "../config/paths.js";
import { resolveTlsFiles } from "../config/tls-files.js";
import { certificateFingerprint } from "../protocol/tls-fingerprint.js";
import { isLoopbackHost } from "../transport/net.js";

export interface LocalGatewayTls {
  enabled: boolean;
  /** The certificate file's SHA-256 fingerprint; null until the gateway generated it, or unreadable. */
  fingerprint: string | null;
  certPath: string | null;
}

/** What `gateway.tls` of this config says the local gateway serves, read from its certificate file. */
export function localGatewayTls(snapshot: ConfigSnapshot, env: Env = process.env): LocalGatewayTls {
  const files = resolveTlsFiles(snapshot.config, snapshot.path, resolveStateDir(env), env);
  if (!files) return { enabled: false, fingerprint: null, certPath: null };
  let fingerprint: string | null = null;
  try {
    fingerprint = certificateFingerprint(fs.readFileSync(files.certPath));
  } catch {
    // Not generated yet (first start pending) or unreadable: the client then verifies by CA and says so.
  }
  return { enabled: true, fingerprint, certPath: files.certPath };
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return "";
  }
}

/**
 * The fingerprint a CLI pins for `url`: `gateway.remote.tlsFingerprint` for a remote or explicit url
 * when set; otherwise the local gateway's own certificate when the url is on this machine.
 */
export function pinFor(
  url: string,
  snapshot: ConfigSnapshot,
  urlIsLocalDefault: boolean,
  env: Env = process.env,
): string | undefined {
  if (!/^wss:/i.test(url)) return undefined;
  const remotePin = snapshot.config.gateway.remote.tlsFingerprint;
  if (!urlIsLocalDefault && remotePin) return remotePin;
  if (!urlIsLocalDefault && !isLoopbackHost(hostOf(url))) return undefined;
  return localGatewayTls(snapshot, env).fingerprint ?? undefined;
}
