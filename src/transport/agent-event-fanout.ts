import type { AgentEventPayload } from "../protocol/run-event-payloads.js";
import type { ClientSession } from "../protocol/client-session.js";
import { AGENT_DELTA_CAP } from "../protocol/index.js";
import type { Broadcaster } from "./broadcaster.js";

const isOperator = (session: ClientSession) => session.role === "operator";
const wantsDeltas = (session: ClientSession) => isOperator(session) && session.caps.includes(AGENT_DELTA_CAP);
const wantsWholeText = (session: ClientSession) =>
  isOperator(session) && !session.caps.includes(AGENT_DELTA_CAP);

/**
 * `agent` events to operators. Upstream's `assistant` events repeat the whole text so far, so a reply
 * costs the square of its length on the wire; a client that connected with `caps: ["agent-delta"]`
 * gets the same events, numbered the same way, with `data: {delta}` only.
 */
export function broadcastAgentEvent(broadcaster: Broadcaster, payload: AgentEventPayload): void {
  if (payload.stream !== "assistant") {
    broadcaster.send("agent", payload, { audience: isOperator, operatorsOnly: true });
    return;
  }
  broadcaster.send("agent", payload, { audience: wantsWholeText, operatorsOnly: true });
  broadcaster.send(
    "agent",
    { ...payload, data: { delta: payload.data.delta } },
    { audience: wantsDeltas, operatorsOnly: true },
  );
}
