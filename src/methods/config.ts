import { Type } from "@sinclair/typebox";
import { redactConfig } from "../config/redact.js";
import { defineMethod } from "./method-spec.js";

export const configGetMethod = defineMethod({
  name: "config.get",
  scope: "read",
  summary: "The config file snapshot with secrets redacted, and its hash (the baseHash for writes).",
  params: Type.Object({}, { additionalProperties: true }),
  handler: (_params, { gateway }) => {
    const snapshot = gateway.config();
    return {
      path: snapshot.path,
      exists: snapshot.exists,
      valid: snapshot.valid,
      hash: snapshot.hash,
      issues: snapshot.issues,
      parsed: redactConfig(snapshot.parsed),
      config: redactConfig(snapshot.config),
    };
  },
});
