import { randomBytes } from "node:crypto";
import { setAtPath } from "../../config/write.js";
import { resolveGatewayAuth } from "../../transport/auth.js";
import { listensOnLoopbackOnly } from "../../host/runtime-record.js";
import { isLoopbackHost, resolveListenPlan } from "../../transport/net.js";
import type { DoctorContext } from "../doctor-context.js";
import type { DoctorCheck, DoctorFix, Finding } from "../finding.js";

const ID = "gateway.auth";

/** 24 random bytes as 48 hex characters, like the token `gateway` and `setup` generate. */
export function generateGatewayToken(): string {
  return randomBytes(24).toString("hex");
}

function generateToken(context: DoctorContext): DoctorFix {
  return {
    description: `Generate a gateway token and save it as gateway.auth.token in ${context.configPath}`,
    forced: context.generateGatewayToken,
    apply: () => {
      context.writeConfig(setAtPath(context.snapshot.parsed, "gateway.auth.token", generateGatewayToken()));
      return ["Wrote gateway.auth.token (48 hex characters)", `Backup: ${context.configPath}.bak`];
    },
  };
}

/** A gateway other hosts can reach should lock out whoever guesses at its secret. */
function rateLimitFindings(context: DoctorContext): Finding[] {
  const gateway = context.snapshot.config.gateway;
  // What the running gateway bound (`--bind lan` may differ from the file), else what the file says.
  const record = context.runtime();
  const host = resolveListenPlan(gateway.bind, gateway.customBindHost).host;
  const loopbackOnly = record ? listensOnLoopbackOnly(record) : isLoopbackHost(host);
  if (loopbackOnly || gateway.auth.rateLimit !== null) return [];
  const where = record
    ? `bind=${record.bind}, listening on ${record.addresses.join(", ")}`
    : `bind=${gateway.bind}`;
  return [
    {
      id: `${ID}.rateLimit`,
      level: "warn",
      message: `The gateway listens beyond loopback (${where}) with no gateway.auth.rateLimit: nothing stops guessing at its secret.`,
      fix: {
        description: `Set gateway.auth.rateLimit to {} (10 failures in 60 s lock a client out for 5 min) in ${context.configPath}`,
        apply: () => {
          context.writeConfig(setAtPath(context.snapshot.parsed, "gateway.auth.rateLimit", {}));
          return ["Wrote gateway.auth.rateLimit: {}", `Backup: ${context.configPath}.bak`];
        },
      },
    },
  ];
}

const SOURCE_TEXT = { config: "config", env: "env", cli: "cli", generated: "generated" } as const;

/** REFERENCE §1.13 step 6 with our decision (flag > env > config): a token or password must exist. */
export const gatewayAuthCheck: DoctorCheck = {
  id: ID,
  title: "Gateway auth",
  run(context): Finding[] {
    const snapshot = context.snapshot;
    if (!snapshot.valid) return [];
    if (snapshot.config.gateway.mode === "remote" && snapshot.config.gateway.remote.url) return [];
    const auth = resolveGatewayAuth(snapshot.config, {}, context.env);
    if (auth.mode === "trusted-proxy") {
      const gateway = snapshot.config.gateway;
      const ready = gateway.trustedProxies.length > 0 && gateway.auth.trustedProxy !== null;
      return [
        ready
          ? {
              id: ID,
              level: "ok",
              message: `Gateway auth: trusted-proxy (${gateway.trustedProxies.join(", ")})`,
            }
          : {
              id: ID,
              level: "error",
              message: "Gateway auth is set to trusted-proxy, but the proxy is not configured.",
              detail: ["Set gateway.trustedProxies and gateway.auth.trustedProxy.userHeader."],
            },
      ];
    }
    if (auth.mode === "password") {
      if (auth.password) {
        return [
          {
            id: ID,
            level: "ok",
            message: `Gateway auth: password (${SOURCE_TEXT[auth.passwordSource ?? "config"]})`,
          },
        ];
      }
      return [
        {
          id: ID,
          level: "error",
          message: "Gateway auth is set to password, but no password is configured.",
          detail: ["Set gateway.auth.password (or CODERCLAW_GATEWAY_PASSWORD)."],
        },
      ];
    }
    if (auth.token || auth.password) {
      const source = auth.token ? auth.tokenSource : auth.passwordSource;
      const kind = auth.token ? "token" : "password";
      return [
        { id: ID, level: "ok", message: `Gateway auth: ${kind} (${SOURCE_TEXT[source ?? "config"]})` },
        ...rateLimitFindings(context),
      ];
    }
    return [
      {
        id: ID,
        level: "warn",
        message:
          "Gateway auth is off or missing a token. Token auth is now the recommended default (including loopback).",
        detail: [`Generate one: ${context.command("doctor --generate-gateway-token")}`],
        fix: generateToken(context),
      },
    ];
  },
};
