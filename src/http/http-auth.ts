import type { IncomingMessage, ServerResponse } from "node:http";
import type { GatewayAccess } from "../transport/access.js";
import { sendJson } from "../transport/http-response.js";
import { openAiError } from "./openai-errors.js";

function bearerOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = typeof header === "string" ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  return match?.[1]?.trim() || undefined;
}

/**
 * REFERENCE §7.1: `Authorization: Bearer <secret>`, tried as the token and as the password, behind the
 * same rate limiter as the WebSocket handshake (loopback is not exempt from auth). Sends the 401 or
 * 429 itself, in OpenAI's error shape, and returns false when the request may not proceed.
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
      openAiError("Too many failed authentication attempts. Please try again later.", "rate_limit_exceeded", {
        code: "rate_limit_exceeded",
      }),
      { "retry-after": String(retryAfter) },
    );
    return false;
  }
  sendJson(res, 401, openAiError("Unauthorized", "authentication_error", { code: "invalid_api_key" }));
  return false;
}
