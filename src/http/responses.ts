import { randomUUID } from "node:crypto";
import type { HttpRoute } from "../transport/http-router.js";
import {
  agentRoute,
  type AgentHttpDeps,
  type EventStream,
  type HttpRunRequest,
  type RunListener,
} from "./agent-request.js";
import { estimateTokens, promptFromMessages } from "./chat-completions.js";

export const RESPONSES_PATH = "/v1/responses";
const TEXT_PARTS = new Set(["input_text", "output_text", "text"]);

type Prompt = { message: string } | { error: string };

/**
 * The run message from `instructions` and `input` (a string, or message items whose content is a string
 * or text parts). Images, files and function-call items are refused with their path: this gateway's
 * agents take text.
 */
export function promptFromInput(input: unknown, instructions: unknown): Prompt {
  const messages: Array<{ role: string; content: string }> = [];
  if (typeof instructions === "string" && instructions.trim() !== "") {
    messages.push({ role: "system", content: instructions });
  }
  if (typeof input === "string") {
    messages.push({ role: "user", content: input });
    return promptFromMessages(messages);
  }
  if (!Array.isArray(input)) return { error: "input: must be a string or an array of input items" };
  for (const [index, item] of input.entries()) {
    const record = (item ?? {}) as { type?: unknown; role?: unknown; content?: unknown };
    const type = record.type ?? "message";
    if (type !== "message")
      return { error: `input[${index}].type: "${String(type)}" is not supported (text only)` };
    if (typeof record.role !== "string") return { error: `input[${index}].role: must be a string` };
    if (typeof record.content === "string") {
      messages.push({ role: record.role, content: record.content });
      continue;
    }
    if (!Array.isArray(record.content))
      return { error: `input[${index}].content: must be a string or an array` };
    const texts: string[] = [];
    for (const [partIndex, part] of record.content.entries()) {
      const { type: partType, text } = (part ?? {}) as { type?: unknown; text?: unknown };
      if (typeof partType !== "string" || !TEXT_PARTS.has(partType) || typeof text !== "string") {
        return {
          error: `input[${index}].content[${partIndex}].type: "${String(partType)}" is not supported (text only)`,
        };
      }
      texts.push(text);
    }
    messages.push({ role: record.role, content: texts.join("\n") });
  }
  const prompt = promptFromMessages(messages);
  return "error" in prompt ? { error: "input: must contain a user message" } : prompt;
}

interface ResponseIds {
  id: string;
  itemId: string;
  createdAt: number;
  model: string;
  /** The run message, for the usage estimate. */
  prompt: string;
}

function responseObject(ids: ResponseIds, status: string, text: string | null, error: unknown = null) {
  return {
    id: ids.id,
    object: "response",
    created_at: ids.createdAt,
    status,
    model: ids.model,
    output: text === null ? [] : [messageItem(ids, "completed", text)],
    usage: usageOf(ids.prompt, text ?? ""),
    error,
  };
}

/** Estimated like chat completions' usage (`estimateTokens`), in the Responses API's shape. */
function usageOf(prompt: string, text: string) {
  const input = estimateTokens(prompt);
  const output = estimateTokens(text);
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + output,
  };
}

function messageItem(ids: ResponseIds, status: string, text: string | null) {
  return {
    type: "message",
    id: ids.itemId,
    role: "assistant",
    status,
    content: text === null ? [] : [{ type: "output_text", text, annotations: [] }],
  };
}

/** REFERENCE §7.3 `POST /v1/responses` (text input): one agent run per request, whole or as typed events. */
export function responsesRoute(deps: AgentHttpDeps, maxBodyBytes: number): HttpRoute {
  const idsFor = (runId: string, { model, message }: HttpRunRequest): ResponseIds => ({
    id: `resp_${runId}`,
    itemId: `msg_${randomUUID()}`,
    createdAt: Math.floor(Date.now() / 1000),
    model,
    prompt: message,
  });
  return agentRoute(deps, {
    path: RESPONSES_PATH,
    maxBodyBytes,
    sessionPrefix: "openresponses",
    prompt: (body) => promptFromInput(body.input, body.instructions),
    stream: (request, runId, events) => streamedResponse(idsFor(runId, request), events),
    reply: (request, runId, text) => responseObject(idsFor(runId, request), "completed", text),
  });
}

/**
 * `response.created`, `response.in_progress`, the output item and its text part opening, a
 * `response.output_text.delta` per delta, their closing events, then `response.completed` (status
 * `incomplete` for a run that was stopped) or `response.failed`, and `[DONE]`. Each event carries its
 * `sequence_number`, as OpenAI's do.
 */
function streamedResponse(ids: ResponseIds, events: EventStream): { head: string; listener: RunListener } {
  let text = "";
  let sequence = 0;
  const event = (type: string, data: Record<string, unknown>) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`;
  const part = (value: string) => ({ type: "output_text", text: value, annotations: [] });
  const at = { item_id: ids.itemId, output_index: 0, content_index: 0 };
  const opening = responseObject(ids, "in_progress", null);
  return {
    head:
      event("response.created", { response: opening }) +
      event("response.in_progress", { response: opening }) +
      event("response.output_item.added", { output_index: 0, item: messageItem(ids, "in_progress", null) }) +
      event("response.content_part.added", { ...at, part: part("") }),
    listener: {
      delta: (delta) => {
        text += delta;
        events.write(event("response.output_text.delta", { ...at, delta }));
      },
      end: (outcome) => {
        events.write(event("response.output_text.done", { ...at, text }));
        events.write(event("response.content_part.done", { ...at, part: part(text) }));
        events.write(
          event("response.output_item.done", { output_index: 0, item: messageItem(ids, "completed", text) }),
        );
        events.write(
          outcome === "error"
            ? event("response.failed", {
                response: responseObject(ids, "failed", text, {
                  code: "server_error",
                  message: "internal error",
                }),
              })
            : event("response.completed", {
                response: responseObject(ids, outcome === "ok" ? "completed" : "incomplete", text),
              }),
        );
        events.write("data: [DONE]\n\n");
        events.end();
      },
    },
  };
}
