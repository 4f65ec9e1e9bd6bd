import type { HttpRoute } from "../transport/http-router.js";
import { agentRoute, type AgentHttpDeps } from "./agent-request.js";
import { serverError } from "./openai-errors.js";

export const CHAT_COMPLETIONS_PATH = "/v1/chat/completions";
const MAX_BODY_BYTES = 1024 * 1024;
const NO_RESPONSE = "No response from CoderClaw.";

/**
 * Token counts are estimates (about four characters a token, OpenAI's rule of thumb): the agent's
 * model may not be OpenAI's, and clients that budget or bill by usage want numbers that grow with the
 * text rather than zeros.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function chatUsage(prompt: string, completion: string) {
  const promptTokens = estimateTokens(prompt);
  const completionTokens = estimateTokens(completion);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

/** `stream_options.include_usage`, when the body asks for it (anything else is ignored, as OpenAI does). */
function includesUsage(body: Record<string, unknown>): boolean {
  const options = body.stream_options;
  return (
    typeof options === "object" &&
    options !== null &&
    (options as { include_usage?: unknown }).include_usage === true
  );
}

/** The text parts of a message's content (a string, or an array of parts). */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part: unknown) => {
      const p = part as { type?: unknown; text?: unknown } | null;
      return p && (p.type === "text" || p.type === "input_text") && typeof p.text === "string" ? p.text : "";
    })
    .filter((text) => text !== "")
    .join("\n");
}

const ROLE_LABELS: Record<string, string> = {
  user: "User",
  assistant: "Assistant",
  tool: "Tool",
  function: "Tool",
};

/**
 * One run message from the OpenAI `messages`: a lone user message is the message itself; otherwise the
 * system/developer instructions come first, then the conversation as `<Role>: <text>` paragraphs.
 */
export function promptFromMessages(messages: unknown): { message: string } | { error: string } {
  const missing = { error: "Missing user message in `messages`." };
  if (!Array.isArray(messages)) return missing;
  const system: string[] = [];
  const conversation: Array<{ role: string; text: string }> = [];
  for (const entry of messages) {
    const { role, content } = (entry ?? {}) as { role?: unknown; content?: unknown };
    const text = textOf(content).trim();
    if (typeof role !== "string" || text === "") continue;
    if (role === "system" || role === "developer") system.push(text);
    else if (ROLE_LABELS[role]) conversation.push({ role, text });
  }
  if (!conversation.some((entry) => entry.role === "user")) return missing;
  const [only] = conversation;
  if (system.length === 0 && conversation.length === 1 && only) return { message: only.text };
  const paragraphs = [
    ...(system.length > 0 ? [`System: ${system.join("\n\n")}`] : []),
    ...conversation.map((entry) => `${ROLE_LABELS[entry.role]}: ${entry.text}`),
  ];
  return { message: paragraphs.join("\n\n") };
}

/** REFERENCE §7.2 `POST /v1/chat/completions`: one agent run per request, answered whole or as server-sent events. */
export function chatCompletionsRoute(deps: AgentHttpDeps): HttpRoute {
  return agentRoute(deps, {
    path: CHAT_COMPLETIONS_PATH,
    maxBodyBytes: MAX_BODY_BYTES,
    sessionPrefix: "openai",
    prompt: (body) => promptFromMessages(body.messages),
    // As OpenAI streams: a first chunk with the role, the deltas, a last chunk with `finish_reason: "stop"`
    // (or an error event when the run failed), the usage chunk when asked for, then `[DONE]`.
    stream: (request, runId, events, body) => {
      const withUsage = includesUsage(body);
      const base = { ...completionOf(runId, request.model), object: "chat.completion.chunk" };
      const data = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
      const chunk = (delta: Record<string, string>, finishReason: "stop" | null = null) =>
        data({
          ...base,
          choices: [{ index: 0, delta, finish_reason: finishReason }],
          ...(withUsage ? { usage: null } : {}),
        });
      let text = "";
      return {
        head: chunk({ role: "assistant" }),
        listener: {
          delta: (delta) => {
            text += delta;
            events.write(chunk({ content: delta }));
          },
          end: (outcome, error) => {
            // OpenAI streams report a failure as an error object before the end.
            events.write(outcome === "error" ? data(serverError(error)) : chunk({}, "stop"));
            if (withUsage)
              events.write(data({ ...base, choices: [], usage: chatUsage(request.message, text) }));
            events.write("data: [DONE]\n\n");
            events.end();
          },
        },
      };
    },
    reply: (request, runId, text) => {
      const content = text || NO_RESPONSE;
      return {
        ...completionOf(runId, request.model),
        object: "chat.completion",
        choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
        usage: chatUsage(request.message, content),
      };
    },
  });
}

function completionOf(runId: string, model: string) {
  return { id: `chatcmpl_${runId}`, created: Math.floor(Date.now() / 1000), model };
}
