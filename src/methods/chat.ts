import { Type } from "@sinclair/typebox";
import { chatMessage } from "../protocol/run-event-payloads.js";
import { DurationMs, ErrorCodes, errorShape } from "../protocol/index.js";
import { GatewayError } from "../protocol/gateway-error.js";
import { boundedHistory } from "./chat-history.js";
import { defineMethod, RpcReply } from "./method-spec.js";
import { deliverToChannel, requireRuns } from "./run-access.js";

const NonEmpty = Type.String({ minLength: 1 });
const STOP_COMMAND = /^\/(stop|abort)\s*$/i;

export const chatSendMethod = defineMethod({
  name: "chat.send",
  scope: "write",
  summary: "Sends a message to a session; acks `started`, results arrive as `chat` events.",
  params: Type.Object(
    {
      sessionKey: NonEmpty,
      message: Type.String(),
      idempotencyKey: NonEmpty,
      timeoutMs: Type.Optional(DurationMs()),
      thinking: Type.Optional(Type.String()),
      deliver: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  handler: (params, { gateway }) => {
    const { runs } = requireRuns(gateway);
    if (params.message.trim() === "")
      throw new GatewayError(ErrorCodes.INVALID_REQUEST, "message or attachment required");
    if (STOP_COMMAND.test(params.message.trim())) {
      const runIds = runs.abortSession(params.sessionKey, "stop");
      return { ok: true, aborted: runIds.length > 0, runIds };
    }
    const previous = runs.deduplicate("chat", params.idempotencyKey);
    if (previous?.kind === "active") return { runId: previous.run.run.runId, status: "in_flight" };
    if (previous?.kind === "finished") {
      const row = previous.row;
      return row.status === "ok"
        ? RpcReply.ok({ runId: row.runId, status: "ok" })
        : RpcReply.fail(
            { runId: row.runId, status: "error", stopReason: row.stopReason },
            errorShape(
              ErrorCodes.UNAVAILABLE,
              row.error ?? "run failed",
              row.stopReason === "interrupted" ? { retryable: true } : {},
            ),
          );
    }
    const started = runs.start({
      kind: "chat",
      idempotencyKey: params.idempotencyKey,
      message: params.message,
      sessionKey: params.sessionKey,
      timeoutMs: params.timeoutMs,
      deliver: params.deliver,
    });
    deliverToChannel(gateway, started);
    gateway.publishChat({
      runId: `user-${params.idempotencyKey}`,
      sessionKey: started.run.sessionKey,
      seq: 0,
      state: "final",
      message: chatMessage("user", params.message, started.run.acceptedAt),
    });
    return { runId: started.run.runId, status: "started" };
  },
});

export const chatHistoryMethod = defineMethod({
  name: "chat.history",
  scope: "read",
  summary:
    "The session transcript, oldest first (partial and interrupted replies included; system events as role `system`); at most 6 MiB, a message over 128 KiB replaced by a placeholder.",
  params: Type.Object(
    { sessionKey: NonEmpty, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
    { additionalProperties: false },
  ),
  handler: (params, { gateway }) => {
    const { store } = requireRuns(gateway);
    const session = store.getSession(params.sessionKey);
    if (!session) return { sessionKey: params.sessionKey, sessionId: null, messages: [] };
    const { messages } = boundedHistory(store, session.sessionId, params.limit ?? 200);
    return { sessionKey: params.sessionKey, sessionId: session.sessionId, messages };
  },
});

export const chatAbortMethod = defineMethod({
  name: "chat.abort",
  scope: "write",
  summary: "Aborts the session's active run(s); partial text is kept in the transcript.",
  params: Type.Object(
    { sessionKey: NonEmpty, runId: Type.Optional(NonEmpty) },
    { additionalProperties: false },
  ),
  handler: (params, { gateway }) => {
    const { runs } = requireRuns(gateway);
    if (params.runId) {
      const owner = runs.sessionOfRun(params.runId);
      if (owner !== null && owner !== params.sessionKey) {
        throw new GatewayError(ErrorCodes.INVALID_REQUEST, "runId does not match sessionKey");
      }
    }
    const runIds = runs.abortSession(params.sessionKey, "rpc", params.runId);
    return { ok: true, aborted: runIds.length > 0, runIds };
  },
});
