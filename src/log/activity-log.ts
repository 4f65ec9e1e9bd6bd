import type { AgentEventPayload } from "../protocol/run-event-payloads.js";
import type { ClientSession } from "../protocol/client-session.js";
import { describeCloseCode } from "../protocol/close-codes.js";
import type { ErrorShape } from "../protocol/frames.js";
import { FrameTrace } from "./frame-trace.js";
import { clip, formatDuration } from "./log-text.js";
import type { GatewayLogger, SubsystemLogger } from "./logger.js";

/** What the activity log needs to know about a run beyond its events (from the store). */
export interface RunFacts {
  agentId: string;
  kind: string;
  stopReason: string | null;
  meta: Record<string, unknown> | null;
}

/** A connection that ended: who it was (null before hello-ok), where from, how long, and how it closed. */
export interface ClosedConnection {
  connId: string;
  session: ClientSession | null;
  remoteAddress: string;
  openedAt: number;
  /** The close the gateway asked for, if it did. */
  closeRequest: { code: number; reason: string } | null;
  /** The close the socket reported, if it finished closing by then. */
  socketClose: { code: number; reason: string } | null;
}

const MAX_ERROR_CHARS = 300;

function closeText(close: { code: number; reason: string }): string {
  const hint = describeCloseCode(close.code);
  const reason = close.reason ? ` "${clip(close.reason, 120)}"` : "";
  return `${close.code}${hint ? ` ${hint}` : ""}${reason}`;
}

function clientName(session: ClientSession): string {
  return clip(session.client.displayName ?? session.client.id, 64);
}

/**
 * The gateway's activity log: connects and disconnects (info), each RPC (debug), runs (info), provider
 * failures (warn), and the WebSocket frame trace that `--ws-log` asks for. It is told of these facts by
 * the connection runtime, the dispatcher and the event bus; it never changes what they do.
 */
export class ActivityLog {
  /** The frame trace, or null when none was asked for (the hot path then checks one field). */
  readonly frames: FrameTrace | null;
  private readonly connections: SubsystemLogger;
  private readonly rpc: SubsystemLogger;
  private readonly runs: SubsystemLogger;

  constructor(
    private readonly logger: GatewayLogger,
    private readonly runFacts: (runId: string) => RunFacts | null,
  ) {
    this.connections = logger.child("ws");
    this.rpc = logger.child("rpc");
    this.runs = logger.child("agent");
    const style = logger.wsLog;
    if (style === "compact" || style === "full")
      this.frames = new FrameTrace(this.connections, style, "info");
    else this.frames = logger.verbose ? new FrameTrace(this.connections, "compact", "debug") : null;
  }

  connected(session: ClientSession): void {
    const { client } = session;
    this.connections.info(
      `client connected: ${clientName(session)} (mode ${clip(client.mode, 32)}, version ${clip(client.version, 32)}) ` +
        `from ${session.remoteAddress} conn=${session.connId.slice(0, 8)}`,
      {
        connId: session.connId,
        clientId: clip(client.id, 64),
        mode: clip(client.mode, 32),
        version: clip(client.version, 32),
        role: session.role,
        remote: session.remoteAddress,
      },
    );
  }

  disconnected(connection: ClosedConnection): void {
    this.frames?.forget(connection.connId);
    const durationMs = Date.now() - connection.openedAt;
    const close = connection.closeRequest ?? connection.socketClose;
    const how = connection.closeRequest
      ? `closed by the gateway: ${closeText(connection.closeRequest)}`
      : connection.socketClose
        ? `closed: ${closeText(connection.socketClose)}`
        : "terminated (peer unresponsive)";
    const meta = {
      connId: connection.connId,
      remote: connection.remoteAddress,
      durationMs,
      closeCode: close?.code ?? 1006,
      closeReason: clip(close?.reason ?? "", 120),
    };
    const where = `from ${connection.remoteAddress} after ${formatDuration(durationMs)}`;
    if (!connection.session) {
      this.connections.debug(`connection closed before connect ${where}, ${how}`, meta);
      return;
    }
    this.connections.info(
      `client disconnected: ${clientName(connection.session)} ${where}, ${how} conn=${connection.connId.slice(0, 8)}`,
      { ...meta, clientId: clip(connection.session.client.id, 64) },
    );
  }

  /** The dispatcher's observer: times requests only while an RPC line would reach an output. */
  readonly rpcObserver = {
    active: (): boolean => this.logger.enabled("debug"),
    served: (session: ClientSession, method: string, durationMs: number, error: ErrorShape | null): void => {
      const outcome = error ? `error ${error.code}` : "ok";
      this.rpc.debug(
        `${clip(method, 64)} ${outcome} ${formatDuration(durationMs)} (${clientName(session)} conn=${session.connId.slice(0, 8)})`,
        {
          connId: session.connId,
          method: clip(method, 64),
          durationMs: Math.round(durationMs * 10) / 10,
          ok: error === null,
          ...(error ? { errorCode: error.code } : {}),
        },
      );
    },
  };

  /** `agent` events from the bus: the lifecycle ones start and end runs. */
  agentEvent(payload: AgentEventPayload): void {
    if (payload.stream !== "lifecycle") return;
    const { runId, sessionKey, data } = payload;
    if (data.phase === "start") {
      if (!this.logger.enabled("info")) return;
      const facts = this.facts(runId);
      const agent = facts ? clip(facts.agentId, 64) : "?";
      this.runs.info(`run started: ${clip(runId, 80)} agent=${agent} session=${clip(sessionKey, 120)}`, {
        runId,
        agentId: facts?.agentId,
        sessionKey,
        kind: facts?.kind,
      });
      return;
    }
    const startedAt = typeof data.startedAt === "number" ? data.startedAt : null;
    const endedAt = typeof data.endedAt === "number" ? data.endedAt : payload.ts;
    const durationMs = startedAt === null ? 0 : endedAt - startedAt;
    let outcome: string;
    if (data.phase === "error") outcome = "error";
    else if (data.aborted)
      outcome = `aborted (${typeof data.stopReason === "string" ? data.stopReason : "rpc"})`;
    else outcome = "ok";
    const error = typeof data.error === "string" ? clip(data.error, MAX_ERROR_CHARS) : null;
    this.runs.info(
      `run ended: ${clip(runId, 80)} ${outcome} after ${formatDuration(durationMs)}${error ? `: ${error}` : ""}`,
      { runId, sessionKey, durationMs, outcome: outcome.split(" ")[0], ...(error ? { error } : {}) },
    );
    // Only a failed run needs its stored facts (was it the provider?): a run that ends well costs no read.
    const facts = data.phase === "error" ? this.facts(runId) : null;
    if (facts?.stopReason === "provider") {
      const provider = typeof facts.meta?.provider === "string" ? clip(facts.meta.provider, 64) : "?";
      const model = typeof facts.meta?.model === "string" ? clip(facts.meta.model, 120) : null;
      this.runs.warn(
        `provider ${provider}${model ? `/${model}` : ""} failed in run ${clip(runId, 80)}: ${error ?? "no error message"}`,
        { runId, provider, model, agentId: facts.agentId, error },
      );
    }
  }

  private facts(runId: string): RunFacts | null {
    try {
      return this.runFacts(runId);
    } catch {
      // A store that cannot answer costs the log line its details, nothing more.
      return null;
    }
  }
}
