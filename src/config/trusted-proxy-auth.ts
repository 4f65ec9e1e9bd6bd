/** `gateway.auth.trustedProxy`: how auth mode "trusted-proxy" reads the user an identity-aware proxy vouches for. */
export interface TrustedProxyAuthConfig {
  /** The header that carries the authenticated user (e.g. `x-forwarded-user`). */
  userHeader: string;
  /** Headers the proxy always sets; a request without any of them did not come through it. */
  requiredHeaders?: string[];
  /** When set, only these users get in. */
  allowUsers?: string[];
}

const PATH = "gateway.auth.trustedProxy";

const isStringList = (value: unknown) =>
  Array.isArray(value) && value.every((item) => typeof item === "string");

/** Problems with `gateway.auth.trustedProxy`, each with its path (empty when valid or absent). */
export function trustedProxyAuthIssues(value: unknown): Array<{ path: string; message: string }> {
  // Absent, null, or not an object at all (the schema's format reports that one).
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
  const issues: Array<{ path: string; message: string }> = [];
  const record = value as Record<string, unknown>;
  if (typeof record.userHeader !== "string" || record.userHeader.trim() === "") {
    issues.push({ path: `${PATH}.userHeader`, message: "must be a non-empty header name" });
  }
  for (const [key, field] of Object.entries(record)) {
    if (key === "userHeader") continue;
    if (key !== "requiredHeaders" && key !== "allowUsers") {
      issues.push({ path: `${PATH}.${key}`, message: "unknown key" });
    } else if (!isStringList(field)) {
      issues.push({ path: `${PATH}.${key}`, message: "must be an array of strings" });
    }
  }
  return issues;
}
