import {
  compileValidator,
  errorShape,
  ErrorCodes,
  validateRequestFrame,
  GatewayError,
  type ClientSession,
  type ErrorShape,
  type Validator,
} from "../protocol/index.js";
import type { SubsystemLogger } from "../log/logger.js";
import { JsonPayload, RpcReply, TwoStageReply, type MethodScope, type MethodSpec } from "./method-spec.js";
import type { GatewayServices } from "./services.js";

interface TableEntry {
  spec: MethodSpec;
  /** Compiled on first use: most gateways never call most methods. */
  validateParams: Validator<unknown> | null | undefined;
}

const SCOPE_GRANTS: Record<MethodScope, readonly string[]> = {
  read: ["operator.read", "operator.write", "operator.admin"],
  write: ["operator.write", "operator.admin"],
  admin: ["operator.admin"],
  approvals: ["operator.approvals", "operator.admin"],
  pairing: ["operator.pairing", "operator.admin"],
};

export function missingScope(session: ClientSession, scope: MethodScope): string | null {
  if (session.role !== "operator") return `unauthorized role: ${session.role}`;
  const grants = SCOPE_GRANTS[scope];
  return session.scopes.some((s) => grants.includes(s)) ? null : `missing scope: operator.${scope}`;
}

/** Told of every request a ready connection made: its method, how long it took, and its error if any. */
export interface RpcObserver {
  /** Checked per request: while false, requests are not timed. */
  active(): boolean;
  served(session: ClientSession, method: string, durationMs: number, error: ErrorShape | null): void;
}

type Served = (error: ErrorShape | null) => void;

function replyFrame(id: string, reply: RpcReply): string {
  return JSON.stringify({ type: "res", id, ok: reply.ok, payload: reply.payload, error: reply.error });
}

function response(id: string, ok: boolean, body: unknown): string {
  return ok
    ? `{"type":"res","id":${JSON.stringify(id)},"ok":true,"payload":${JSON.stringify(body ?? null)}}`
    : `{"type":"res","id":${JSON.stringify(id)},"ok":false,"error":${JSON.stringify(body)}}`;
}

/**
 * Serves request frames of ready connections: parse → validate → method table → scope → params
 * → handler → serialize. It never sees a socket; `send` is the connection's writer.
 */
export class Dispatcher {
  private readonly table = new Map<string, TableEntry>();

  constructor(
    methods: readonly MethodSpec[],
    private readonly services: GatewayServices,
    private readonly log: SubsystemLogger,
    private readonly observers: readonly RpcObserver[] = [],
  ) {
    for (const spec of methods) {
      this.table.set(spec.name, { spec, validateParams: undefined });
    }
  }

  /** Method names for hello-ok `features.methods`. */
  advertisedMethods(): string[] {
    return [...this.table.values()].filter((entry) => !entry.spec.hidden).map((entry) => entry.spec.name);
  }

  specs(): MethodSpec[] {
    return [...this.table.values()].map((entry) => entry.spec);
  }

  handle(session: ClientSession, text: string, send: (frame: string) => void): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      this.log.debug("ignored non-JSON frame", { connId: session.connId });
      return;
    }
    const checked = validateRequestFrame(frame);
    if (!checked.ok) {
      const id =
        typeof (frame as { id?: unknown })?.id === "string" ? (frame as { id: string }).id : "invalid";
      const failure = errorShape(ErrorCodes.INVALID_REQUEST, `invalid request frame: ${checked.message}`);
      send(response(id, false, failure));
      this.timer(session, "(invalid frame)")?.(failure);
      return;
    }
    const { id, method, params } = checked.value;
    const served = this.timer(session, method);
    const failure = this.precheck(session, method, params);
    if (failure) {
      send(response(id, false, failure));
      served?.(failure);
      return;
    }
    const entry = this.table.get(method) as TableEntry;
    let result: unknown;
    try {
      result = entry.spec.handler(params ?? {}, { session, gateway: this.services });
    } catch (error) {
      this.fail(id, method, error, send, served);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (payload) => this.reply(id, method, payload, send, served),
        (error: unknown) => this.fail(id, method, error, send, served),
      );
    } else {
      this.reply(id, method, result, send, served);
    }
  }

  /** Times a request for the observers that are listening now; null (no clock read) when none is. */
  private timer(session: ClientSession, method: string): Served | null {
    const listening = this.observers.filter((observer) => observer.active());
    if (listening.length === 0) return null;
    const startedAt = performance.now();
    return (error) => {
      const durationMs = performance.now() - startedAt;
      for (const observer of listening) observer.served(session, method, durationMs, error);
    };
  }

  private fail(
    id: string,
    method: string,
    error: unknown,
    send: (frame: string) => void,
    served: Served | null,
  ) {
    const shape = this.toErrorShape(method, error);
    send(response(id, false, shape));
    served?.(shape);
  }

  private reply(
    id: string,
    method: string,
    result: unknown,
    send: (frame: string) => void,
    served: Served | null,
  ): void {
    if (result instanceof TwoStageReply) {
      send(response(id, true, result.ack));
      result.final.then(
        (final) => {
          send(replyFrame(id, final));
          served?.(final.ok ? null : (final.error ?? null));
        },
        (error: unknown) => this.fail(id, method, error, send, served),
      );
    } else if (result instanceof JsonPayload) {
      send(`{"type":"res","id":${JSON.stringify(id)},"ok":true,"payload":${result.json}}`);
      served?.(null);
    } else if (result instanceof RpcReply) {
      send(replyFrame(id, result));
      served?.(result.ok ? null : (result.error ?? null));
    } else {
      send(response(id, true, result));
      served?.(null);
    }
  }

  private precheck(session: ClientSession, method: string, params: unknown): ErrorShape | null {
    if (method === "connect") {
      return errorShape(ErrorCodes.INVALID_REQUEST, "connect is only valid as the first request");
    }
    const entry = this.table.get(method);
    if (!entry) return errorShape(ErrorCodes.INVALID_REQUEST, `unknown method: ${method}`);
    const denied = missingScope(session, entry.spec.scope);
    if (denied) return errorShape(ErrorCodes.INVALID_REQUEST, denied);
    if (entry.validateParams === undefined) {
      entry.validateParams = entry.spec.params ? compileValidator(entry.spec.params) : null;
    }
    if (entry.validateParams) {
      const checked = entry.validateParams(params ?? {});
      if (!checked.ok) {
        return errorShape(ErrorCodes.INVALID_REQUEST, `invalid ${method} params: ${checked.message}`);
      }
    }
    return null;
  }

  private toErrorShape(method: string, error: unknown): ErrorShape {
    if (error instanceof GatewayError) return error.shape;
    this.log.warn(`method ${method} failed`, { error: String(error) });
    return errorShape(ErrorCodes.UNAVAILABLE, String(error instanceof Error ? error.message : error));
  }
}
