/** Connect capability: `assistant` agent events carry only the new text (`data.delta`), not the text so far. */
export const AGENT_DELTA_CAP = "agent-delta";

/** Connect capability: `presence` events carry what changed since the previous one, not the (capped) list. */
export const PRESENCE_DELTA_CAP = "presence-delta";
