import type { AnyStateMachine } from "xstate";

/** What makes a transition fire: a named event, no event at all, a delay, or an invoked actor ending. */
export type TransitionKind = "event" | "always" | "after" | "done" | "error";

export interface TransitionGraph {
  kind: TransitionKind;
  /** The event type as xstate names it (`CONNECT_RECEIVED`, `xstate.after.debounce.reload.debouncing`); `""` for `always`. */
  event: string;
  /** For `after`: the delay's name in the machine's `delays` (absent for an inline number) and its value in ms (`null` when computed from context). */
  delay?: { name?: string; ms: number | null };
  /** For `done` / `error`: the id of the invoked actor that ended. */
  invokeId?: string;
  /** The guard as written: a named guard, `a && b`, `!a`, `in(#id)`, or `(inline)` for an anonymous function. */
  guard?: string;
  /** Target state ids; empty for a transition that only runs actions. */
  targets: string[];
  reenter: boolean;
  /** Action names in order (`xstate.assign`, ... for built-ins, `(inline)` for anonymous functions). */
  actions: string[];
}

export interface StateGraph {
  /** xstate's state id: the machine id and the path, dot-joined (`connection.ready`). */
  id: string;
  key: string;
  path: string[];
  type: "atomic" | "compound" | "parallel" | "final" | "history";
  /** The id of the initial child (compound states). */
  initial?: string;
  /** Actors this state invokes while it is active. */
  invoke: { id: string; src: string }[];
  /** Transitions declared on this state, in declaration order. */
  transitions: TransitionGraph[];
  states: StateGraph[];
  description?: string;
}

export interface MachineGraph {
  id: string;
  root: StateGraph;
}

// The parts of xstate's StateNode the graph reads; its public types hide `invoke`'s resolved shape and guards' internals.
interface NodeView {
  id: string;
  key: string;
  path: string[];
  type: StateGraph["type"];
  description?: string;
  states: Record<string, NodeView>;
  initial?: { target: NodeView[] };
  invoke: { id: string; src: unknown }[];
  transitions: Map<string, TransitionView[]>;
  always?: TransitionView[];
  after: (TransitionView & { delay: string | number })[];
}

interface TransitionView {
  eventType: string | null;
  guard?: unknown;
  target?: NodeView[];
  reenter: boolean;
  actions: unknown[];
}

const AFTER_PREFIX = "xstate.after.";
const DONE_ACTOR_PREFIX = "xstate.done.actor.";
const ERROR_ACTOR_PREFIX = "xstate.error.actor.";

/** The guard as a reader of the machine file would name it. */
export function guardName(guard: unknown): string {
  if (typeof guard === "string") return guard;
  if (guard && typeof guard === "object" && "type" in guard) return String((guard as { type: unknown }).type);
  if (typeof guard === "function") {
    const composite = guard as { check?: { name?: string }; guards?: unknown[]; stateValue?: unknown };
    const check = composite.check?.name;
    if (check === "checkAnd" && composite.guards) return composite.guards.map(guardName).join(" && ");
    if (check === "checkOr" && composite.guards) return composite.guards.map(guardName).join(" || ");
    if (check === "checkNot" && composite.guards) return `!${guardName(composite.guards[0])}`;
    if (check === "checkStateIn") return `in(${String(composite.stateValue)})`;
  }
  return "(inline)";
}

function actionName(action: unknown): string {
  if (typeof action === "string") return action;
  if (action && typeof action === "object" && "type" in action)
    return String((action as { type: unknown }).type);
  if (typeof action === "function") {
    const builtIn = (action as { type?: unknown }).type;
    return typeof builtIn === "string" ? builtIn : "(inline)";
  }
  return "(inline)";
}

function transitionGraph(
  transition: TransitionView,
  kind: TransitionKind,
  extra: Partial<TransitionGraph>,
): TransitionGraph {
  const graph: TransitionGraph = {
    kind,
    event: transition.eventType ?? "",
    ...extra,
    targets: (transition.target ?? []).map((target) => target.id),
    reenter: transition.reenter,
    actions: transition.actions.map(actionName),
  };
  if (transition.guard !== undefined) graph.guard = guardName(transition.guard);
  return graph;
}

function delayOf(
  delay: string | number,
  delays: Record<string, unknown>,
): { name?: string; ms: number | null } {
  if (typeof delay === "number") return { ms: delay };
  const value = Object.hasOwn(delays, delay) ? delays[delay] : undefined;
  return { name: delay, ms: typeof value === "number" ? value : null };
}

function stateGraph(node: NodeView, delays: Record<string, unknown>): StateGraph {
  const transitions: TransitionGraph[] = [];
  const delayByEvent = new Map(node.after.map((transition) => [transition.eventType, transition.delay]));
  for (const [event, candidates] of node.transitions) {
    for (const transition of candidates) {
      if (event.startsWith(AFTER_PREFIX)) {
        const delay = delayByEvent.get(event);
        transitions.push(
          transitionGraph(transition, "after", delay === undefined ? {} : { delay: delayOf(delay, delays) }),
        );
      } else if (event.startsWith(DONE_ACTOR_PREFIX)) {
        transitions.push(
          transitionGraph(transition, "done", { invokeId: event.slice(DONE_ACTOR_PREFIX.length) }),
        );
      } else if (event.startsWith(ERROR_ACTOR_PREFIX)) {
        transitions.push(
          transitionGraph(transition, "error", { invokeId: event.slice(ERROR_ACTOR_PREFIX.length) }),
        );
      } else {
        transitions.push(transitionGraph(transition, "event", {}));
      }
    }
  }
  for (const transition of node.always ?? []) transitions.push(transitionGraph(transition, "always", {}));
  const graph: StateGraph = {
    id: node.id,
    key: node.key,
    path: [...node.path],
    type: node.type,
    invoke: node.invoke.map((invoked) => ({
      id: invoked.id,
      src: typeof invoked.src === "string" ? invoked.src : invoked.id,
    })),
    transitions,
    states: Object.values(node.states).map((child) => stateGraph(child, delays)),
  };
  const initial = node.initial?.target[0];
  if (node.type === "compound" && initial) graph.initial = initial.id;
  if (node.description) graph.description = node.description;
  return graph;
}

/** The machine's definition as data (states, nesting, transitions, guards, delays, invocations), read from its StateNodes. */
export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const delays = (machine.implementations.delays ?? {}) as Record<string, unknown>;
  return { id: machine.id, root: stateGraph(machine.root as unknown as NodeView, delays) };
}
