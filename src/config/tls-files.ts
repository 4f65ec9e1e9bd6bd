import path from "node:path";
import { expandHome, type Env } from "./paths.js";
import type { CoderclawConfig } from "./schema.js";

export interface TlsFiles {
  certPath: string;
  keyPath: string;
  /** Extra PEM certificates served after a configured leaf (intermediates); unused for the generated one. */
  caPath: string | null;
  /** `configured`: gateway.tls.certPath/keyPath; `generated`: the self-signed pair in the state dir. */
  source: "configured" | "generated";
}

/** Where the gateway keeps the certificate it generates for itself. */
export function generatedTlsDir(stateDir: string): string {
  return path.join(stateDir, "gateway", "tls");
}

/**
 * The certificate and key files `gateway.tls` names: the configured pair (relative paths are taken
 * from the config file's directory), or the generated one. Null when TLS is off.
 */
export function resolveTlsFiles(
  config: CoderclawConfig,
  configPath: string,
  stateDir: string,
  env: Env = process.env,
): TlsFiles | null {
  const tls = config.gateway.tls;
  if (!tls.enabled) return null;
  const resolve = (file: string | null) =>
    file ? path.resolve(path.dirname(configPath), expandHome(file, env)) : null;
  const certPath = resolve(tls.certPath);
  const keyPath = resolve(tls.keyPath);
  const caPath = resolve(tls.caPath);
  if (certPath || keyPath) {
    return { certPath: certPath ?? "", keyPath: keyPath ?? "", caPath, source: "configured" };
  }
  const dir = generatedTlsDir(stateDir);
  return {
    certPath: path.join(dir, "gateway-cert.pem"),
    keyPath: path.join(dir, "gateway-key.pem"),
    caPath,
    source: "generated",
  };
}
