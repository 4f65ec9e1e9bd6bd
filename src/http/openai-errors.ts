import type { ServerResponse } from "node:http";
import { sendJson } from "../transport/http-response.js";

/** The `type` of an OpenAI error body; clients pick their exception class by status, some by type. */
export type OpenAiErrorType =
  "invalid_request_error" | "authentication_error" | "rate_limit_exceeded" | "server_error";

export interface OpenAiError {
  error: { message: string; type: OpenAiErrorType; param: string | null; code: string | null };
}

export function openAiError(
  message: string,
  type: OpenAiErrorType,
  { param = null, code = null }: { param?: string | null; code?: string | null } = {},
): OpenAiError {
  return { error: { message, type, param, code } };
}

export const invalidRequest = (message: string, code: string | null = null): OpenAiError =>
  openAiError(message, "invalid_request_error", { code });

export const serverError = (message = "internal error"): OpenAiError => openAiError(message, "server_error");

export const modelNotFound = (model: string): OpenAiError =>
  openAiError(
    `The model \`${model}\` does not exist or you do not have access to it.`,
    "invalid_request_error",
    {
      param: "model",
      code: "model_not_found",
    },
  );

/** 405 with `Allow`, in the error shape clients parse. */
export function sendMethodNotAllowed(res: ServerResponse, allow: string): void {
  sendJson(res, 405, invalidRequest("Method Not Allowed", "method_not_allowed"), { allow });
}
