import { randomUUID } from "node:crypto";
import { Type } from "@sinclair/typebox";
import { defineMethod } from "./method-spec.js";
import { requireRuns } from "./run-access.js";

const NonEmpty = Type.String({ minLength: 1 });

export const sessionsListMethod = defineMethod({
  name: "sessions.list",
  scope: "read",
  summary: "Sessions, most recently active first, with message counts and the last message.",
  params: Type.Object(
    { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })) },
    { additionalProperties: false },
  ),
  handler: (params, { gateway }) => {
    const { store } = requireRuns(gateway);
    const sessions = store.listSessions(params.limit ?? 500);
    return { count: sessions.length, path: store.file, sessions };
  },
});

export const sessionsPreviewMethod = defineMethod({
  name: "sessions.preview",
  scope: "read",
  summary: "The last few messages of each requested session.",
  params: Type.Object(
    {
      keys: Type.Array(NonEmpty, { minItems: 1, maxItems: 100 }),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
    },
    { additionalProperties: false },
  ),
  handler: (params, { gateway }) => {
    const { store } = requireRuns(gateway);
    return {
      previews: params.keys.map((key) => {
        const session = store.getSession(key);
        const items = session
          ? store
              .history(session.sessionId, params.limit ?? 3)
              .map((m) => ({ role: m.role, text: m.text, ts: m.ts }))
          : [];
        return { key, sessionId: session?.sessionId ?? null, items };
      }),
    };
  },
});

export const sessionsResetMethod = defineMethod({
  name: "sessions.reset",
  scope: "admin",
  summary: "Starts a fresh transcript for the session (active runs are stopped first).",
  params: Type.Object({ key: NonEmpty }, { additionalProperties: false }),
  handler: (params, { gateway }) => {
    const { runs, store } = requireRuns(gateway);
    runs.abortSession(params.key, "stop");
    const session = store.resetSession(params.key, randomUUID(), Date.now());
    return { ok: session !== null, key: params.key, sessionId: session?.sessionId ?? null };
  },
});

export const sessionsDeleteMethod = defineMethod({
  name: "sessions.delete",
  scope: "admin",
  summary: "Deletes the session and its transcript (active runs are stopped first).",
  params: Type.Object({ key: NonEmpty }, { additionalProperties: false }),
  handler: (params, { gateway }) => {
    const { runs, store } = requireRuns(gateway);
    runs.abortSession(params.key, "stop");
    return { ok: true, deleted: store.deleteSession(params.key) };
  },
});
