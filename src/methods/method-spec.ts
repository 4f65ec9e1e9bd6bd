import type { Static, TSchema } from "@sinclair/typebox";
import type { ClientSession, ErrorShape } from "../protocol/index.js";
import type { GatewayServices } from "./services.js";

/** Which operator scope a method needs; `admin` covers everything. */
export type MethodScope = "read" | "write" | "admin" | "approvals" | "pairing";

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
/** A payload already serialized (a cached answer): the dispatcher sends its JSON text as it is. */
export class JsonPayload {
  constructor(readonly json: string) {}
}

export class TwoStageReply {
  constructor(
    readonly ack: unknown,
    readonly final: Promise<RpcReply>,
  ) {}
}
