import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AgentRuns } from "../agents/agent-runs.js";
import type { RunStarted } from "../agents/run-request.js";
import type { AgentEventPayload } from "../protocol/run-event-payloads.js";
import { GatewayError } from "../protocol/gateway-error.js";
import { ErrorCodes } from "../protocol/index.js";
import type { GatewayAccess } from "../transport/access.js";
import { sendJson } from "../transport/http-response.js";
import type { HttpRoute } from "../transport/http-router.js";
import { authorizeHttp } from "./http-auth.js";
import { agentForModel, DEFAULT_MODEL } from "./models.js";
import { invalidRequest, modelNotFound, sendMethodNotAllowed, serverError } from "./openai-errors.js";
import { readJsonBody } from "./request-body.js";

/** Where the `agent` events of every run are heard: the gateway's event bus. */
interface AgentEventSource {
  on(event: "agent", listener: (payload: AgentEventPayload) => void): unknown;
  off(event: "agent", listener: (payload: AgentEventPayload) => void): unknown;
}

/** What the OpenAI-style endpoints need from the gateway. */
export interface AgentHttpDeps {
  access: GatewayAccess;
  /** Null while the state database is unavailable. */
  runs(): AgentRuns | null;
  bus: AgentEventSource;
}

const internalError = serverError();

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
}

/**
 * POST only, the gateway secret, then a JSON object body of at most `maxBytes`. Answers the request
 * itself (405, 401/429, 413/408/400) and returns null when it may not proceed.
 */
async function acceptJsonPost(
  deps: AgentHttpDeps,
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
): Promise<Record<string, unknown> | null> {
  if (req.method !== "POST") {
    sendMethodNotAllowed(res, "POST");
    return null;
  }
  if (!authorizeHttp(deps.access, req, res)) return null;
  const body = await readJsonBody(req, { maxBytes });
  if (!body.ok) {
    sendJson(res, body.status, invalidRequest(body.message));
    return null;
  }
  if (typeof body.value !== "object" || body.value === null || Array.isArray(body.value)) {
    sendJson(res, 400, invalidRequest("Request body must be a JSON object."));
    return null;
  }
  return body.value as Record<string, unknown>;
}

/** REFERENCE §7.2: the agent from a header, else the one `model` names (see `agentForModel`). */
function agentIdOf(req: IncomingMessage, model: string, runs: AgentRuns): string | undefined {
  const fromHeader = header(req, "x-coderclaw-agent-id") ?? header(req, "x-coderclaw-agent");
  return fromHeader ?? agentForModel(runs.agents, model)?.id;
}

export interface HttpRunRequest {
  model: string;
  message: string;
  /** From the body's `user`: the same user keeps one session. */
  user: string | undefined;
  /** `openai` or `openresponses`: the middle of generated session keys. */
  sessionPrefix: string;
}

type HttpRunStart =
  { ok: true; runId: string; started: RunStarted } | { ok: false; status: number; body: unknown };

/**
 * Starts the agent run for one HTTP request. The session is `x-coderclaw-session-key`, else
 * `agent:<id>:<prefix>-user:<user>`, else a fresh `agent:<id>:<prefix>:<uuid>`. `beforeStart` runs with
 * the run id before the run can produce anything (to subscribe to its events).
 */
function startHttpRun(
  deps: AgentHttpDeps,
  req: IncomingMessage,
  request: HttpRunRequest,
  beforeStart: (runId: string) => void = () => {},
): HttpRunStart {
  const runs = deps.runs();
  if (!runs)
    return {
      ok: false,
      status: 503,
      body: serverError("agent runs are unavailable"),
    };
  const agentId = agentIdOf(req, request.model, runs);
  if (!agentId) return { ok: false, status: 404, body: modelNotFound(request.model) };
  const runId = randomUUID();
  const { sessionPrefix: prefix, user } = request;
  const sessionKey =
    header(req, "x-coderclaw-session-key") ??
    (user ? `agent:${agentId}:${prefix}-user:${user}` : `agent:${agentId}:${prefix}:${randomUUID()}`);
  beforeStart(runId);
  try {
    const started = runs.start({
      kind: "agent",
      idempotencyKey: runId,
      message: request.message,
      agentId,
      sessionKey,
    });
    return { ok: true, runId, started };
  } catch (error) {
    if (error instanceof GatewayError) {
      const { code, message } = error.shape;
      if (code === ErrorCodes.INVALID_REQUEST)
        return { ok: false, status: 400, body: invalidRequest(message) };
      if (code === ErrorCodes.UNAVAILABLE) return { ok: false, status: 503, body: serverError(message) };
    }
    return { ok: false, status: 500, body: internalError };
  }
}

export type RunOutcome = "ok" | "aborted" | "error";

export interface RunListener {
  delta(text: string): void;
  /** `error`: why the run failed, when it did. */
  end(outcome: RunOutcome, error?: string): void;
}

/** Follows one run's `agent` events until it ends or `stop()` is called; returns `stop`. */
function followRun(bus: AgentEventSource, runId: string, listener: RunListener): () => void {
  const onAgent = (event: AgentEventPayload) => {
    if (event.runId !== runId) return;
    if (event.stream === "assistant" && typeof event.data.delta === "string" && event.data.delta !== "") {
      listener.delta(event.data.delta);
    } else if (event.stream === "lifecycle" && (event.data.phase === "end" || event.data.phase === "error")) {
      stop();
      if (event.data.phase === "error") listener.end("error", String(event.data.error ?? "run failed"));
      else listener.end(event.data.aborted === true ? "aborted" : "ok");
    }
  };
  const stop = () => bus.off("agent", onAgent);
  bus.on("agent", onAgent);
  return stop;
}

/** A response of server-sent events whose head waits until the run is accepted; earlier writes are held. */
export class EventStream {
  private readonly pending: string[] = [];
  private begun = false;
  private ended = false;

  constructor(private readonly res: ServerResponse) {}

  write(text: string): void {
    if (this.begun) this.res.write(text);
    else this.pending.push(text);
  }

  end(): void {
    this.ended = true;
    if (this.begun) this.res.end();
  }

  begin(first: string): void {
    this.res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    this.begun = true;
    this.res.write(first);
    for (const text of this.pending.splice(0)) this.res.write(text);
    if (this.ended) this.res.end();
  }
}

/** `model` (default "coderclaw") and `user` from an OpenAI-style body, with the run message. */
function runRequestOf(body: Record<string, unknown>, message: string, sessionPrefix: string): HttpRunRequest {
  const model = typeof body.model === "string" && body.model.trim() !== "" ? body.model : DEFAULT_MODEL;
  const user = typeof body.user === "string" && body.user.trim() !== "" ? body.user.trim() : undefined;
  return { model, message, user, sessionPrefix };
}

/** Runs the request's agent turn to its end; answers failures itself (returning null). */
async function runToCompletion(
  deps: AgentHttpDeps,
  req: IncomingMessage,
  res: ServerResponse,
  request: HttpRunRequest,
): Promise<{ runId: string; text: string } | null> {
  const run = startHttpRun(deps, req, request);
  if (!run.ok) {
    sendJson(res, run.status, run.body);
    return null;
  }
  const row = await run.started.done;
  if (row.status !== "ok" && row.stopReason === "interrupted") {
    // Not saved, or cut short by a restart: nothing wrong with the request, try it again.
    res.setHeader("retry-after", "5");
    sendJson(res, 503, serverError(row.error ?? "interrupted"));
    return null;
  }
  if (row.status !== "ok") {
    sendJson(res, 500, internalError);
    return null;
  }
  return { runId: run.runId, text: row.text };
}

/**
 * Runs the request's agent turn as server-sent events: `open` gets the run id before the run can say
 * anything and returns the first bytes and what to write for each delta and at the end.
 */
function streamRun(
  deps: AgentHttpDeps,
  req: IncomingMessage,
  res: ServerResponse,
  request: HttpRunRequest,
  open: (runId: string, events: EventStream) => { head: string; listener: RunListener },
): void {
  const events = new EventStream(res);
  let stop = () => {};
  let head = "";
  const run = startHttpRun(deps, req, request, (runId) => {
    const opened = open(runId, events);
    head = opened.head;
    stop = followRun(deps.bus, runId, opened.listener);
    res.on("close", () => stop());
  });
  if (!run.ok) {
    stop();
    sendJson(res, run.status, run.body);
    return;
  }
  events.begin(head);
}

/** An OpenAI-style endpoint: a JSON body that yields a prompt, answered whole or as server-sent events. */
export interface AgentEndpoint {
  path: string;
  maxBodyBytes: number;
  /** The middle of generated session keys (`openai`, `openresponses`). */
  sessionPrefix: string;
  prompt(body: Record<string, unknown>): { message: string } | { error: string };
  /** The first bytes of the stream, and what to write for each delta and at the end. */
  stream(
    request: HttpRunRequest,
    runId: string,
    events: EventStream,
    body: Record<string, unknown>,
  ): { head: string; listener: RunListener };
  /** The whole answer (status 200). */
  reply(request: HttpRunRequest, runId: string, text: string): unknown;
}

/**
 * One agent run per request: POST with the gateway secret, a JSON body within the limit, a prompt; then
 * the reply, or the stream when the body says `stream: true`. An unexpected failure still gets an answer
 * (or ends the stream).
 */
export function agentRoute(deps: AgentHttpDeps, endpoint: AgentEndpoint): HttpRoute {
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await acceptJsonPost(deps, req, res, endpoint.maxBodyBytes);
    if (!body) return;
    const prompt = endpoint.prompt(body);
    if ("error" in prompt) {
      sendJson(res, 400, invalidRequest(prompt.error));
      return;
    }
    const request = runRequestOf(body, prompt.message, endpoint.sessionPrefix);
    if (body.stream === true) {
      streamRun(deps, req, res, request, (runId, events) => endpoint.stream(request, runId, events, body));
      return;
    }
    const reply = await runToCompletion(deps, req, res, request);
    if (reply) sendJson(res, 200, endpoint.reply(request, reply.runId, reply.text));
  }
  return {
    path: endpoint.path,
    handle: (req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) sendJson(res, 500, internalError);
        else res.end();
      });
    },
  };
}
