import { Ajv } from "ajv";
import type { ErrorObject } from "ajv";
import type { Static, TSchema } from "@sinclair/typebox";
import { ConnectParams } from "./connect.js";
import { RequestFrame } from "./frames.js";

export type ValidationResult<V> = { ok: true; value: V } | { ok: false; message: string };
export type Validator<V> = (value: unknown) => ValidationResult<V>;

const ajv = new Ajv({ allErrors: true, strict: false });

/** Upstream's error text: `at <root|/path>: <message>`, additional properties named, joined with `; `. */
export function formatValidationErrors(errors: readonly ErrorObject[] | null | undefined): string {
  if (!errors || errors.length === 0) return "unknown validation error";
  const parts = new Set<string>();
  for (const error of errors) {
    const where = `at ${error.instancePath || "root"}`;
    const property: unknown = error.params["additionalProperty"];
    if (error.keyword === "additionalProperties" && typeof property === "string") {
      parts.add(`${where}: unexpected property '${property}'`);
    } else {
      parts.add(`${where}: ${error.message ?? "validation error"}`);
    }
  }
  return [...parts].join("; ");
}

export function compileValidator<T extends TSchema>(schema: T): Validator<Static<T>> {
  const check = ajv.compile<Static<T>>(schema);
  return (value) =>
    check(value) ? { ok: true, value } : { ok: false, message: formatValidationErrors(check.errors) };
}

export const validateRequestFrame = compileValidator(RequestFrame);
export const validateConnectParams = compileValidator(ConnectParams);
