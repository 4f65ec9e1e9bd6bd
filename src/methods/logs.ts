import { Type } from "@sinclair/typebox";
import { readLogTail } from "../log/log-file-tail.js";
import { defineMethod } from "./method-spec.js";

export const logsTailMethod = defineMethod({
  name: "logs.tail",
  scope: "read",
  summary: "Lines of the gateway log file after `cursor` (JSON lines), with the next cursor.",
  params: Type.Object(
    {
      cursor: Type.Optional(Type.Integer({ minimum: 0 })),
      limit: Type.Optional(Type.Integer({ minimum: 1 })),
      maxBytes: Type.Optional(Type.Integer({ minimum: 1 })),
    },
    { additionalProperties: false },
  ),
  handler: (params, { gateway }) =>
    readLogTail(gateway.logFile, {
      cursor: params.cursor,
      limit: Math.min(params.limit ?? 500, 5000),
      maxBytes: Math.min(params.maxBytes ?? 250_000, 1_000_000),
    }),
});
