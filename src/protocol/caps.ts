/** Connect capability: `assistant` agent events carry only the new text (`data.delta`), not the text so far. */
export const AGENT_DELTA_CAP = "agent-delta";
