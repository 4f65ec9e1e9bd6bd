import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EventBus } from "../actors/event-bus.js";
import type { AgentRuns } from "../agents/agent-runs.js";
import type { AgentEventPayload } from "../agents/run-events.js";
import { GatewayError } from "../methods/method-spec.js";
import { ErrorCodes } from "../protocol/index.js";
import type { GatewayAccess } from "../transport/access.js";
import { sendJson, sendText } from "../transport/http-response.js";
import type { HttpRoute } from "../transport/http-router.js";
import { authorizeHttp } from "./http-auth.js";
import { readJsonBody } from "./request-body.js";

export const CHAT_COMPLETIONS_PATH = "/v1/chat/completions";
const MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_MODEL = "coderclaw";
const NO_RESPONSE = "No response from CoderClaw.";

export interface ChatCompletionsDeps {
  access: GatewayAccess;
  /** Null while the state database is unavailable. */
  runs(): AgentRuns | null;
  bus: EventBus;
}

interface ChatRequest {
  model: string;
  stream: boolean;
  agentId: string | undefined;
  sessionKey: string | undefined;
  user: string | undefined;
  message: string;
}

const invalid = (message: string) => ({ error: { message, type: "invalid_request_error" } });
const internalError = { error: { message: "internal error", type: "api_error" } };

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
}

/** The text parts of a message's content (a string, or an array of parts). */
function textOf(content: unknown): string {
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

/** REFERENCE §7.2: the agent from a header, else from `model` (`coderclaw:<id>`, `coderclaw/<id>`, `agent:<id>`). */
function agentIdOf(req: IncomingMessage, model: string): string | undefined {
  const fromHeader = header(req, "x-coderclaw-agent-id") ?? header(req, "x-coderclaw-agent");
  if (fromHeader) return fromHeader;
  const match = /^(?:coderclaw[:/]|agent:)(.+)$/.exec(model);
  return match?.[1]?.trim() || undefined;
}

function parseRequest(req: IncomingMessage, body: unknown): ChatRequest | { error: string } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { error: "Request body must be a JSON object." };
  }
  const record = body as Record<string, unknown>;
  const model = typeof record.model === "string" && record.model.trim() !== "" ? record.model : DEFAULT_MODEL;
  const prompt = promptFromMessages(record.messages);
  if ("error" in prompt) return prompt;
  return {
    model,
    stream: record.stream === true,
    agentId: agentIdOf(req, model),
    sessionKey: header(req, "x-coderclaw-session-key"),
    user: typeof record.user === "string" && record.user.trim() !== "" ? record.user.trim() : undefined,
    message: prompt.message,
  };
}

function errorStatus(error: unknown): { status: number; body: unknown } {
  if (error instanceof GatewayError) {
    const { code, message } = error.shape;
    if (code === ErrorCodes.INVALID_REQUEST) return { status: 400, body: invalid(message) };
    if (code === ErrorCodes.UNAVAILABLE)
      return { status: 503, body: { error: { message, type: "api_error" } } };
  }
  return { status: 500, body: internalError };
}

/** `POST /v1/chat/completions`: one agent run per request, answered whole or as server-sent events. */
export function chatCompletionsRoute(deps: ChatCompletionsDeps): HttpRoute {
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST") {
      sendText(res, 405, "Method Not Allowed", { allow: "POST" });
      return;
    }
    if (!authorizeHttp(deps.access, req, res)) return;
    const body = await readJsonBody(req, { maxBytes: MAX_BODY_BYTES });
    if (!body.ok) {
      sendJson(res, body.status, invalid(body.message));
      return;
    }
    const request = parseRequest(req, body.value);
    if ("error" in request) {
      sendJson(res, 400, invalid(request.error));
      return;
    }
    const runs = deps.runs();
    if (!runs) {
      sendJson(res, 503, { error: { message: "agent runs are unavailable", type: "api_error" } });
      return;
    }
    const runId = randomUUID();
    const agentId = request.agentId ?? runs.agents.defaultAgent.id;
    const sessionKey =
      request.sessionKey ??
      (request.user
        ? `agent:${agentId}:openai-user:${request.user}`
        : `agent:${agentId}:openai:${randomUUID()}`);
    const completion = {
      id: `chatcmpl_${runId}`,
      created: Math.floor(Date.now() / 1000),
      model: request.model,
    };
    // Subscribed before the run starts, so no delta can be missed.
    const stream = request.stream ? streamEvents(res, deps.bus, runId, completion) : null;
    let started;
    try {
      started = runs.start({
        kind: "agent",
        idempotencyKey: runId,
        message: request.message,
        agentId,
        sessionKey,
      });
    } catch (error) {
      stream?.cancel();
      const { status, body: errorBody } = errorStatus(error);
      sendJson(res, status, errorBody);
      return;
    }
    if (stream) {
      stream.begin();
      return;
    }
    const row = await started.done;
    if (row.status !== "ok") {
      sendJson(res, 500, internalError);
      return;
    }
    sendJson(res, 200, {
      ...completion,
      object: "chat.completion",
      choices: [
        { index: 0, message: { role: "assistant", content: row.text || NO_RESPONSE }, finish_reason: "stop" },
      ],
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    });
  }

  return {
    path: CHAT_COMPLETIONS_PATH,
    handle: (req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) sendJson(res, 500, internalError);
        else res.end();
      });
    },
  };
}

/**
 * The run's `assistant` deltas as `chat.completion.chunk` events, after a first chunk with the role;
 * `data: [DONE]` when the run ends (well or not). The subscription ends with the response.
 */
function streamEvents(
  res: ServerResponse,
  bus: EventBus,
  runId: string,
  completion: { id: string; created: number; model: string },
) {
  const chunk = (delta: Record<string, string>) =>
    `data: ${JSON.stringify({
      ...completion,
      object: "chat.completion.chunk",
      choices: [{ index: 0, delta, finish_reason: null }],
    })}\n\n`;
  const pending: string[] = [];
  let begun = false;
  let ended = false;
  const write = (text: string) => (begun ? res.write(text) : pending.push(text));
  const onAgent = (event: AgentEventPayload) => {
    if (event.runId !== runId) return;
    if (event.stream === "assistant" && typeof event.data.delta === "string" && event.data.delta !== "") {
      write(chunk({ content: event.data.delta }));
    } else if (event.stream === "lifecycle" && (event.data.phase === "end" || event.data.phase === "error")) {
      write("data: [DONE]\n\n");
      ended = true;
      stop();
      if (begun) res.end();
    }
  };
  const stop = () => {
    bus.off("agent", onAgent);
    res.off("close", stop);
  };
  bus.on("agent", onAgent);
  res.on("close", stop);
  return {
    /** The run is accepted: headers, the role chunk, then whatever the run said meanwhile. */
    begin() {
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
      begun = true;
      res.write(chunk({ role: "assistant" }));
      for (const text of pending.splice(0)) res.write(text);
      if (ended) res.end();
    },
    cancel: stop,
  };
}
