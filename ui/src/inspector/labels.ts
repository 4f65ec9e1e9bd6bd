import type { TransitionGraph } from "../../../src/machines/machine-graph.js";

/** A delay as people read it: 300ms, 5s, 10min. */
export function formatMs(ms: number): string {
  if (ms < 1_000 || ms % 1_000 !== 0) return `${ms}ms`;
  if (ms < 60_000 || ms % 60_000 !== 0) return `${ms / 1_000}s`;
  return `${ms / 60_000}min`;
}

/** What fires the transition: the event, `always`, `after <delay>`, or `done:`/`error:` of an invoked actor. */
export function triggerLabel(transition: TransitionGraph): string {
  switch (transition.kind) {
    case "always":
      return "always";
    case "after": {
      const delay = transition.delay;
      const parts = ["after"];
      if (delay?.name) parts.push(delay.name);
      if (delay && delay.ms !== null) parts.push(delay.name ? `(${formatMs(delay.ms)})` : formatMs(delay.ms));
      return parts.join(" ");
    }
    case "done":
      return `done: ${transition.invokeId ?? ""}`;
    case "error":
      return `error: ${transition.invokeId ?? ""}`;
    default:
      return transition.event;
  }
}

/** The guard as the label shows it; an anonymous function has no name, the brackets still say "conditional". */
function guardText(transition: TransitionGraph): string | null {
  if (!transition.guard) return null;
  return `[${transition.guard === "(inline)" ? "guard" : transition.guard}]`;
}

/** The edge label: trigger and guard, as statecharts write them (`EVENT [guard]`). */
export function transitionLabel(transition: TransitionGraph): string {
  const guard = guardText(transition);
  return guard ? `${triggerLabel(transition)} ${guard}` : triggerLabel(transition);
}

/** The edge label on two lines when guarded (trigger, then guard): labels stay narrow. */
export function transitionLabelLines(transition: TransitionGraph): string[] {
  const guard = guardText(transition);
  return guard ? [triggerLabel(transition), guard] : [triggerLabel(transition)];
}
