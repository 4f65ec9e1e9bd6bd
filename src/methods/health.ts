import { Type } from "@sinclair/typebox";
import { channelsHealthOf } from "./health-summary.js";
import type { HealthSummary } from "../state/health.js";
import { defineMethod, JsonPayload } from "./method-spec.js";

/** The members `channelsHealthOf` answers; the rest of a summary changes only when it is refreshed. */
const CHANNEL_KEYS = new Set(["channels", "channelOrder", "channelLabels"]);

/** `{…}` without its braces: the members, to be joined with others into one object. */
const membersOf = (value: object) => JSON.stringify(value).slice(1, -1);

const NO_CHANNELS = membersOf(channelsHealthOf([]));

/** The members of a cached summary other than the channels', serialized once per summary. */
const restOfSummary = new WeakMap<HealthSummary, string>();
function summaryMembers(summary: HealthSummary): string {
  let json = restOfSummary.get(summary);
  if (json === undefined) {
    json = membersOf(Object.fromEntries(Object.entries(summary).filter(([key]) => !CHANNEL_KEYS.has(key))));
    restOfSummary.set(summary, json);
  }
  return json;
}

export const healthMethod = defineMethod({
  name: "health",
  scope: "read",
  summary:
    "Cached health summary with the channel accounts as they are now; `probe: true` refreshes it first.",
  params: Type.Object({ probe: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  handler: (params, { gateway }) => {
    const cached = gateway.health.current();
    if (params.probe || !("ts" in cached)) return gateway.health.refresh();
    // Account states live in memory and change between refreshes: read them now, not from the cache.
    // Health is polled often, so only they are serialized per request.
    const accounts = gateway.channels?.accountsNow() ?? [];
    const channels = accounts.length === 0 ? NO_CHANNELS : membersOf(channelsHealthOf(accounts));
    return new JsonPayload(`{${channels},${summaryMembers(cached as HealthSummary)}}`);
  },
});
