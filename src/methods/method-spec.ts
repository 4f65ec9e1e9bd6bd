import type { Static, TSchema } from "@sinclair/typebox";
import { errorShape, type ErrorCode, type ErrorShape, type ErrorShapeOptions } from "../protocol/index.js";
import type { GatewayServices } from "./services.js";

/** Which operator scope a method needs; `admin` covers everything. */
export type MethodScope = "read" | "write" | "admin" | "approvals" | "pairing";

/** The authenticated peer of a connection, fixed at hello-ok. */
export interface ClientSession {
  connId: string;
  role: string;
  scopes: string[];
  client: {
    id: string;
    mode: string;
    version: string;
    platform: string;
    displayName?: string;
    instanceId?: string;
  };
  caps: string[];
  deviceId: string | null;
  authMethod: "token" | "password" | "trusted-proxy";
  remoteAddress: string;
}

export interface MethodContext {
  session: ClientSession;
  gateway: GatewayServices;
}

export interface MethodSpec<S extends TSchema = TSchema> {
  name: string;
  scope: MethodScope;
  /** What the method does, for the generated docs. */
  summary: string;
  params?: S;
  /** Served but left out of hello-ok `features.methods` (as upstream does for `connect`). */
  hidden?: boolean;
  handler(params: Static<S>, context: MethodContext): unknown;
}

export function defineMethod<S extends TSchema>(spec: MethodSpec<S>): MethodSpec<S> {
  return spec;
}

/** An error a handler throws on purpose; its code and message reach the client as they are. */
export class GatewayError extends Error {
  readonly shape: ErrorShape;
  constructor(code: ErrorCode, message: string, options: ErrorShapeOptions = {}) {
    super(message);
    this.shape = errorShape(code, message, options);
  }
}

/** A response with an explicit outcome: `ok:false` may carry a payload next to its error (agent finals). */
export class RpcReply {
  private constructor(
    readonly ok: boolean,
    readonly payload: unknown,
    readonly error: ErrorShape | undefined,
  ) {}

  static ok(payload: unknown): RpcReply {
    return new RpcReply(true, payload, undefined);
  }

  static fail(payload: unknown, error: ErrorShape): RpcReply {
    return new RpcReply(false, payload, error);
  }
}

/** Two `res` frames on one request id: the ack now, the final reply when `final` settles. */
export class TwoStageReply {
  constructor(
    readonly ack: unknown,
    readonly final: Promise<RpcReply>,
  ) {}
}
