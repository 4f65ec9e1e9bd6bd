import type { HttpRoute } from "../transport/http-router.js";
import { agentRoute, type AgentHttpDeps } from "./agent-request.js";

export const CHAT_COMPLETIONS_PATH = "/v1/chat/completions";
const MAX_BODY_BYTES = 1024 * 1024;
const NO_RESPONSE = "No response from CoderClaw.";

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
    // The deltas as `chat.completion.chunk` events after a first chunk with the role; `[DONE]` at the end.
    stream: (request, runId, events) => {
      const chunk = (delta: Record<string, string>) =>
        `data: ${JSON.stringify({
          ...completionOf(runId, request.model),
          object: "chat.completion.chunk",
          choices: [{ index: 0, delta, finish_reason: null }],
        })}\n\n`;
      return {
        head: chunk({ role: "assistant" }),
        listener: {
          delta: (text) => events.write(chunk({ content: text })),
          end: (outcome, error) => {
            // OpenAI streams report a failure as an error object before the end.
            if (outcome === "error") {
              events.write(`data: ${JSON.stringify({ error: { message: error, type: "api_error" } })}\n\n`);
            }
            events.write("data: [DONE]\n\n");
            events.end();
          },
        },
      };
    },
    reply: (request, runId, text) => ({
      ...completionOf(runId, request.model),
      object: "chat.completion",
      choices: [
        { index: 0, message: { role: "assistant", content: text || NO_RESPONSE }, finish_reason: "stop" },
      ],
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    }),
  });
}

function completionOf(runId: string, model: string) {
  return { id: `chatcmpl_${runId}`, created: Math.floor(Date.now() / 1000), model };
}
