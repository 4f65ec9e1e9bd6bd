import type { IncomingMessage, ServerResponse } from "node:http";
import type { GatewayAccess } from "../transport/access.js";
import { sendJson } from "../transport/http-response.js";

function bearerOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = typeof header === "string" ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  return match?.[1]?.trim() || undefined;
}

/**
 * REFERENCE §7.1: `Authorization: Bearer <secret>`, tried as the token and as the password, behind the
 * same rate limiter as the WebSocket handshake (loopback is not exempt from auth). Sends the 401 or
 * 429 itself and returns false when the request may not proceed.
 */
export function authorizeHttp(access: GatewayAccess, req: IncomingMessage, res: ServerResponse): boolean {
  const peer = access.peer(req);
  const secret = bearerOf(req);
  const result = access.authorize(peer, { token: secret, password: secret });
  if (result.ok) return true;
  if (result.reason === "rate_limited") {
    const retryAfter = Math.max(1, Math.ceil((result.retryAfterMs ?? 0) / 1000));
    sendJson(
      res,
      429,
      {
        error: {
          message: "Too many failed authentication attempts. Please try again later.",
          type: "rate_limited",
        },
      },
      { "retry-after": String(retryAfter) },
    );
    return false;
  }
  sendJson(res, 401, { error: { message: "Unauthorized", type: "unauthorized" } });
  return false;
}
