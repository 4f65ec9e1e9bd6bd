import net from "node:net";
import { durationProblem } from "../protocol/duration.js";
import { normalizeFingerprint } from "../protocol/tls-fingerprint.js";

/* The value checks of the config schema's custom formats: each throws the problem it finds. */

export const positiveInt = (name: string) => (value: unknown) => {
  if (!Number.isInteger(value) || (value as number) <= 0)
    throw new Error(`${name} must be a positive integer`);
};

/** A config duration: the same bound as every duration a client sends over the protocol. */
export const duration =
  (minimum: number, unit: "ms" | "s" = "ms") =>
  (value: unknown) => {
    const problem = durationProblem(value, minimum, unit);
    if (problem) throw new Error(problem);
  };

export const tlsFingerprint = (value: unknown) => {
  if (value === null) return;
  if (typeof value !== "string" || normalizeFingerprint(value) === null) {
    throw new Error("must be a SHA-256 fingerprint: 32 hex bytes, colons optional (AB:CD:...)");
  }
};

export const agentList = (value: unknown) => {
  if (!Array.isArray(value)) throw new Error("must be an array of agents");
  value.forEach((entry, index) => {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw new Error(`[${index}] must be an object`);
    }
    const id = (entry as { id?: unknown }).id;
    if (typeof id !== "string" || id.trim() === "")
      throw new Error(`[${index}].id must be a non-empty string`);
  });
};

export const stringList = (value: unknown) => {
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
    throw new Error("must be an array of strings");
  }
};

/** A trusted proxy is an IPv4 or IPv6 address, or an IPv4 CIDR block. */
function trustedProxyProblem(entry: string): string | null {
  if (net.isIP(entry)) return null;
  const [address, bits, extra] = entry.split("/");
  const prefix = Number(bits);
  const cidr = extra === undefined && address !== undefined && net.isIPv4(address) && bits !== "";
  return cidr && Number.isInteger(prefix) && prefix >= 0 && prefix <= 32
    ? null
    : `"${entry}" is not an IP address or IPv4 CIDR`;
}

export const proxyList = (value: unknown) => {
  stringList(value);
  const problems = (value as string[]).map(trustedProxyProblem).filter((problem) => problem !== null);
  if (problems.length > 0) throw new Error(problems.join("; "));
};
