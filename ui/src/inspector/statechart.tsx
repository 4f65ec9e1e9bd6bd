import type { JSX } from "preact";
import type { MachineLayout, StateBox } from "./layout.js";

export interface StatechartProps {
  layout: MachineLayout;
  /** Ids of the active state nodes (root included). */
  active: ReadonlySet<string>;
  /** The transition that led here: its event and the state it entered, to mark the edge it took. */
  taken: { event: string; to: ReadonlySet<string> } | null;
  fit: boolean;
}

const LINE_TOP = 16;
const TEXT_LINE = 15;
const f = (n: number) => Math.round(n * 10) / 10;

function StateNode({
  state,
  active,
  region,
}: {
  state: StateBox;
  active: boolean;
  region: boolean;
}): JSX.Element {
  const compound = state.type === "compound" || state.type === "parallel";
  const lines = [...state.invoke.map((id) => `invoke ${id}`), ...state.internal];
  return (
    <g
      class="ins-s"
      data-state-id={state.id}
      data-state-key={state.key}
      data-active={active}
      data-compound={compound}
      data-type={state.type}
      data-region={region}
    >
      <title>{`${state.id}${active ? " (active)" : ""}`}</title>
      <rect
        class="ins-box"
        x={f(state.x)}
        y={f(state.y)}
        width={f(state.width)}
        height={f(state.height)}
        rx={8}
      />
      {state.type === "final" && (
        <rect
          class="ins-final"
          x={f(state.x + 3)}
          y={f(state.y + 3)}
          width={f(state.width - 6)}
          height={f(state.height - 6)}
          rx={6}
        />
      )}
      <text class="ins-key" x={f(state.x + 10)} y={f(state.y + LINE_TOP)}>
        {state.key}
      </text>
      {lines.map((line, i) => (
        <text key={i} class="ins-line" x={f(state.x + 10)} y={f(state.y + LINE_TOP + 16 + i * TEXT_LINE)}>
          {line}
        </text>
      ))}
    </g>
  );
}

/** Paints a laid-out machine: states as nested boxes, transitions as labelled splines, active states highlighted. */
export function Statechart({ layout, active, taken, fit }: StatechartProps): JSX.Element {
  const margin = 4;
  const width = layout.width + 2 * margin;
  const height = layout.height + 2 * margin;
  const initials = layout.states.filter((state) => state.initial);
  const parallel = new Set(
    layout.states.filter((state) => state.type === "parallel").map((state) => state.id),
  );
  return (
    <svg
      class="ins-chart"
      role="img"
      aria-label={`Statechart of the ${layout.machineId} machine`}
      data-fit={fit}
      viewBox={`${-margin} ${-margin} ${width} ${height}`}
      width={width}
      height={height}
    >
      <defs>
        <marker
          id="ins-arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto"
        >
          <path d="M0,0 L10,5 L0,10 z" />
        </marker>
        <marker
          id="ins-arrow-taken"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto"
        >
          <path d="M0,0 L10,5 L0,10 z" />
        </marker>
      </defs>
      {layout.states.map((state) => (
        <StateNode
          key={state.id}
          state={state}
          active={active.has(state.id)}
          region={state.parent !== null && parallel.has(state.parent)}
        />
      ))}
      {initials.map((state) => (
        <g key={`initial-${state.id}`} class="ins-initial" aria-hidden="true">
          <circle cx={f(state.x + 14)} cy={f(state.y - 10)} r={3.5} />
          <line
            x1={f(state.x + 14)}
            y1={f(state.y - 7)}
            x2={f(state.x + 14)}
            y2={f(state.y)}
            stroke-width={1.3}
          />
        </g>
      ))}
      {layout.edges.map((edge) => {
        const isTaken =
          taken !== null &&
          taken.event === edge.transition.event &&
          taken.to.has(edge.target) &&
          active.has(edge.target);
        return (
          <g key={edge.id} class="ins-e" data-taken={isTaken} data-event={edge.transition.event}>
            <path d={edge.path} marker-end={isTaken ? "url(#ins-arrow-taken)" : "url(#ins-arrow)"} />
            <rect
              x={f(edge.labelBox.x - 2)}
              y={f(edge.labelBox.y)}
              width={f(edge.labelBox.width + 2)}
              height={f(edge.labelBox.height)}
              rx={3}
            />
            <text x={f(edge.labelBox.x)} y={f(edge.labelBox.y + 12)}>
              {edge.labelLines.map((line, i) => (
                <tspan key={i} x={f(edge.labelBox.x)} dy={i === 0 ? 0 : 14}>
                  {line}
                </tspan>
              ))}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
