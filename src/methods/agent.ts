import { Type } from "@sinclair/typebox";
import { DurationMs, DurationSeconds, ErrorCodes, errorShape } from "../protocol/index.js";
import type { RunRow } from "../store/rows.js";
import { defineMethod, RpcReply, TwoStageReply } from "./method-spec.js";
import { deliverToChannel, requireRuns } from "./run-access.js";

const NonEmpty = Type.String({ minLength: 1 });

/** The final reply of `agent` for a finished run (the second `res`, or a retry's only one). */
export function agentFinal(row: RunRow): RpcReply {
  if (row.status === "ok") {
    return RpcReply.ok({
      runId: row.runId,
      status: "ok",
      summary: "completed",
      result: { payloads: row.text ? [{ text: row.text }] : [], meta: row.meta ?? {} },
    });
  }
  const summary = row.error ?? "run failed";
  // An interrupted run (a restart, or an end the store could not save) did nothing wrong: try again.
  const retryable = row.stopReason === "interrupted";
  return RpcReply.fail(
    { runId: row.runId, status: "error", summary, stopReason: row.stopReason },
    errorShape(ErrorCodes.UNAVAILABLE, summary, retryable ? { retryable: true } : {}),
  );
}

export const agentMethod = defineMethod({
  name: "agent",
  scope: "write",
  summary: "Runs the agent: answers `accepted` at once, then the final `ok`/`error` on the same id.",
  params: Type.Object(
    {
      message: NonEmpty,
      idempotencyKey: NonEmpty,
      agentId: Type.Optional(NonEmpty),
      sessionKey: Type.Optional(NonEmpty),
      timeout: Type.Optional(DurationSeconds()),
      thinking: Type.Optional(Type.String()),
      deliver: Type.Optional(Type.Boolean()),
      channel: Type.Optional(Type.String()),
      label: Type.Optional(Type.String()),
      extraSystemPrompt: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
  handler: (params, { gateway }) => {
    const { runs } = requireRuns(gateway);
    const previous = runs.deduplicate("agent", params.idempotencyKey);
    if (previous?.kind === "finished") return agentFinal(previous.row);
    const started =
      previous?.kind === "active"
        ? previous.run
        : runs.start({
            kind: "agent",
            idempotencyKey: params.idempotencyKey,
            message: params.message,
            agentId: params.agentId,
            sessionKey: params.sessionKey,
            timeoutMs: params.timeout === undefined ? undefined : params.timeout * 1_000,
            deliver: params.deliver,
          });
    if (previous === null) deliverToChannel(gateway, started);
    const ack = { runId: started.run.runId, status: "accepted", acceptedAt: started.run.acceptedAt };
    return new TwoStageReply(ack, started.done.then(agentFinal));
  },
});

export const agentWaitMethod = defineMethod({
  name: "agent.wait",
  scope: "write",
  summary: "Waits for a run to end: `ok`, `error` or `timeout`.",
  params: Type.Object(
    { runId: NonEmpty, timeoutMs: Type.Optional(DurationMs()) },
    { additionalProperties: false },
  ),
  handler: async (params, { gateway }) => {
    const { runs } = requireRuns(gateway);
    const row = await runs.wait(params.runId, params.timeoutMs ?? 30_000);
    if (!row) return RpcReply.ok({ runId: params.runId, status: "timeout" });
    return {
      runId: row.runId,
      status: row.status,
      startedAt: row.startedAt ?? undefined,
      endedAt: row.endedAt ?? undefined,
      ...(row.status === "error" ? { error: row.error, stopReason: row.stopReason } : {}),
    };
  },
});
