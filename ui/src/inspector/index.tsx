import { Component, type JSX } from "preact";
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ActorTreeNode, InspectTransition } from "../../../src/protocol/actor-inspection.js";
import type { MachineGraph, StateGraph } from "../../../src/machines/machine-graph.js";
import type { GatewayPort } from "../gateway-port.js";
import { ActorStore, isClosed, type TreeFilter } from "./actor-store.js";
import { ActorTree } from "./actor-tree.js";
import { EventLog } from "./event-log.js";
import { FrameBatcher } from "./frame-batcher.js";
import { layoutMachine, type MachineLayout } from "./layout.js";
import {
  LIVE,
  pause,
  select,
  stateAt,
  stepBack,
  stepForward,
  visibleEntries,
  type LogCursor,
} from "./log-cursor.js";
import { Statechart, type StatechartProps } from "./statechart.js";
import { activeStateIds, formatStateValue } from "./state-value.js";
import { INSPECTOR_CSS } from "./styles.js";

interface Definitions {
  graphs: Map<string, MachineGraph>;
  layouts: Map<string, MachineLayout>;
}

const NO_DEFINITIONS: Definitions = { graphs: new Map(), layouts: new Map() };

function statePathsOf(graph: MachineGraph): string[] {
  const paths: string[] = [];
  const walk = (state: StateGraph) => {
    if (state.path.length > 0) paths.push(state.path.join("."));
    state.states.forEach(walk);
  };
  walk(graph.root);
  return paths;
}

const sameIds = (a: ReadonlySet<string>, b: ReadonlySet<string>) =>
  a.size === b.size && [...a].every((id) => b.has(id));

/** The diagram repaints only when what it shows changes, not on every batch of other actors' transitions. */
class MemoStatechart extends Component<StatechartProps> {
  override shouldComponentUpdate(next: StatechartProps): boolean {
    const before = this.props;
    const sameTaken =
      before.taken === next.taken ||
      (before.taken !== null &&
        next.taken !== null &&
        before.taken.event === next.taken.event &&
        sameIds(before.taken.to, next.taken.to));
    return !(
      before.layout === next.layout &&
      before.fit === next.fit &&
      sameIds(before.active, next.active) &&
      sameTaken
    );
  }

  override render(): JSX.Element {
    return <Statechart {...this.props} />;
  }
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The live statechart inspector: the actor tree from `inspect.snapshot` moved on by `inspect` events, and
 * for the selected actor its machine, drawn from the definition the gateway serves (`inspect.machines`),
 * with the current state highlighted and an event log to pause and step back through.
 */
export function InspectorView(props: { gateway: GatewayPort }): JSX.Element {
  const { gateway } = props;
  const store = useMemo(() => new ActorStore(), []);
  const [version, setVersion] = useState(0);
  const [definitions, setDefinitions] = useState<Definitions>(NO_DEFINITIONS);
  const [problem, setProblem] = useState<string | null>("Loading the actor tree…");
  const [selected, setSelected] = useState<string | null>(null);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [filter, setFilter] = useState<TreeFilter>({ machine: null, state: null, hideClosed: false });
  const [fit, setFit] = useState(true);
  const cursors = useRef(new Map<string, LogCursor>());
  const [, setCursorVersion] = useState(0);

  useEffect(() => {
    let disposed = false;
    const batcher = new FrameBatcher<InspectTransition[]>(
      (batches) => {
        for (const transitions of batches) store.applyTransitions(transitions);
        setVersion(store.version);
      },
      (callback) => requestAnimationFrame(callback),
    );
    const stopEvents = gateway.on("inspect", (payload) => {
      const transitions = (payload as { transitions?: unknown } | null)?.transitions;
      if (Array.isArray(transitions)) batcher.push(transitions as InspectTransition[]);
    });
    // After every (re)connect or missed event the tree is read again: missed transitions are not replayed.
    const load = async () => {
      try {
        const [snapshot, served] = await Promise.all([
          gateway.request<{ ts: number; actors: ActorTreeNode[] }>("inspect.snapshot"),
          gateway.request<{ machines: MachineGraph[] }>("inspect.machines"),
        ]);
        if (disposed) return;
        const graphs = new Map(served.machines.map((graph) => [graph.id, graph]));
        // Layouts are computed here, once per definition, never while rendering.
        const layouts = new Map(served.machines.map((graph) => [graph.id, layoutMachine(graph)]));
        store.applySnapshot(snapshot.actors, snapshot.ts);
        setDefinitions({ graphs, layouts });
        setVersion(store.version);
        setProblem(null);
      } catch (error) {
        if (!disposed) setProblem(`Cannot read the actor tree: ${message(error)}`);
      }
    };
    const stopResync = gateway.onResync(() => void load());
    void load();
    return () => {
      disposed = true;
      batcher.stop();
      stopEvents();
      stopResync();
    };
  }, [gateway, store]);

  const rows = useMemo(() => store.rows(filter, collapsed), [store, version, filter, collapsed]);
  const counts = useMemo(() => {
    let live = 0;
    for (const record of store.actors.values()) if (!isClosed(record)) live++;
    return { live, total: store.actors.size };
  }, [store, version]);

  const machineIds = useMemo(
    () => [...new Set([...definitions.graphs.keys(), ...store.machines()])].sort(),
    [definitions, store, version],
  );
  const stateOptions = useMemo(() => {
    const graphs = filter.machine
      ? [definitions.graphs.get(filter.machine)]
      : [...definitions.graphs.values()];
    return [...new Set(graphs.flatMap((graph) => (graph ? statePathsOf(graph) : [])))].sort();
  }, [definitions, filter.machine]);

  const record = selected === null ? undefined : store.actors.get(selected);
  const cursor = (selected !== null && cursors.current.get(selected)) || LIVE;
  const setCursor = useCallback(
    (next: LogCursor) => {
      if (selected === null) return;
      cursors.current.set(selected, next);
      setCursorVersion((n) => n + 1);
    },
    [selected],
  );
  const entries = record ? visibleEntries(record.log, cursor) : [];
  const shown = record ? stateAt(record.log, cursor, record.state) : null;
  const layout = record?.machine ? definitions.layouts.get(record.machine) : undefined;
  const active = record?.machine && shown ? activeStateIds(record.machine, shown.state) : new Set<string>();
  const taken =
    record?.machine && shown?.entry && (cursor.selectedSeq !== null || shown.entry.to === record.state)
      ? { event: shown.entry.event, to: activeStateIds(record.machine, shown.entry.to) }
      : null;

  const onToggle = useCallback((sessionId: string, expanded: boolean) => {
    setCollapsed((previous) => {
      const next = new Set(previous);
      if (expanded) next.delete(sessionId);
      else next.add(sessionId);
      return next;
    });
  }, []);

  let diagram: JSX.Element;
  if (!record) diagram = <p class="ins-empty">Select an actor in the tree to draw its machine.</p>;
  else if (!record.machine)
    diagram = (
      <p class="ins-empty">{record.id} runs no state machine (it is a promise, callback or group actor).</p>
    );
  else if (!layout)
    diagram = <p class="ins-empty">The gateway serves no definition of the {record.machine} machine.</p>;
  else diagram = <MemoStatechart layout={layout} active={active} taken={taken} fit={fit} />;

  return (
    <div class="inspector">
      <style>{INSPECTOR_CSS}</style>
      <div class="ins-bar">
        <label>
          Machine
          <select
            value={filter.machine ?? ""}
            onChange={(event) => {
              const machine = (event.currentTarget as HTMLSelectElement).value || null;
              setFilter({ ...filter, machine, state: null });
            }}
          >
            <option value="">all</option>
            {machineIds.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </label>
        <label>
          State
          <select
            value={filter.state ?? ""}
            onChange={(event) =>
              setFilter({ ...filter, state: (event.currentTarget as HTMLSelectElement).value || null })
            }
          >
            <option value="">any</option>
            {stateOptions.map((path) => (
              <option key={path} value={path}>
                {path}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input
            type="checkbox"
            checked={filter.hideClosed}
            onChange={(event) =>
              setFilter({ ...filter, hideClosed: (event.currentTarget as HTMLInputElement).checked })
            }
          />
          Hide ended actors
        </label>
        <span class="ins-count" aria-live="off">
          {counts.live} live · {counts.total} seen · {rows.length} shown
        </span>
        {problem && (
          <span class="ins-error" role="status">
            {problem}
          </span>
        )}
      </div>
      <section class="ins-pane ins-tree" aria-label="Actor tree">
        <h2>Actors</h2>
        <ActorTree rows={rows} selected={selected} onSelect={setSelected} onToggle={onToggle} />
      </section>
      <div class="ins-main">
        <section class="ins-pane ins-diagram" aria-label="Statechart">
          <h2>
            Machine
            {record && (
              <span class="ins-title-detail" data-shown-state={formatStateValue(shown?.state)}>
                {record.id}
                {record.machine ? ` · ${record.machine}` : ""} · {formatStateValue(shown?.state)}
                {cursor.selectedSeq !== null ? " (at selected event)" : ""}
              </span>
            )}
            <span class="ins-log-controls">
              <button type="button" aria-pressed={fit} onClick={() => setFit(!fit)}>
                Fit
              </button>
            </span>
          </h2>
          <div class="ins-scroll">{diagram}</div>
        </section>
        <EventLog
          entries={entries}
          cursor={cursor}
          onSelect={(seq) => record && setCursor(select(record.log, cursor, seq))}
          onPauseToggle={() => record && setCursor(cursor.paused ? LIVE : pause(record.log, cursor))}
          onStepBack={() => record && setCursor(stepBack(record.log, cursor))}
          onStepForward={() => record && setCursor(stepForward(record.log, cursor))}
        />
      </div>
    </div>
  );
}
