import type { MachineGraph, StateGraph, TransitionGraph } from "../../../src/machines/machine-graph.js";
import { transitionLabel, transitionLabelLines } from "./labels.js";

/**
 * A layered (Sugiyama-style) statechart layout, top to bottom: each compound state lays out its children
 * recursively; inside one compound, states get ranks by longest path over the transitions between them
 * (cycles broken by a depth-first walk from the initial state), every edge label is a node of its own in
 * the layer between two ranks (so labels never cover states or each other), orderings are improved by
 * barycenter sweeps, and edges are routed as splines through their label and bend points.
 * Text is measured with fixed character widths (the diagram draws in a monospace font), so the result is
 * pure and deterministic.
 */

export interface Point {
  x: number;
  y: number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface StateBox extends Box {
  id: string;
  key: string;
  type: StateGraph["type"];
  depth: number;
  parent: string | null;
  /** Whether this state is its parent's initial state (drawn with the initial marker). */
  initial: boolean;
  /** Transitions drawn as text inside the state: those without a target, to itself, or to its own ancestor or descendant. */
  internal: string[];
  /** Invoked actors, drawn as `invoke <id>` lines. */
  invoke: string[];
  /** Where the children's area starts, below the title and text lines. */
  headerHeight: number;
}

export interface EdgeLayout {
  id: string;
  source: string;
  target: string;
  label: string;
  /** The label as drawn: the trigger, and the guard on a line of its own. */
  labelLines: string[];
  transition: TransitionGraph;
  /** The compound state whose children the edge connects (its label lies in that state's area). */
  level: string;
  /** The points the spline passes through: source anchor, bend points, target anchor. */
  points: Point[];
  /** SVG path data of the spline. */
  path: string;
  labelBox: Box;
}

export interface MachineLayout {
  machineId: string;
  width: number;
  height: number;
  states: StateBox[];
  edges: EdgeLayout[];
}

const NAME_CHAR_WIDTH = 7.3;
const TEXT_CHAR_WIDTH = 6.7;
const NAME_LINE = 22;
const TEXT_LINE = 15;
const PADDING = 10;
const INITIAL_SPACE = 14;
const STATE_GAP = 28;
const DUMMY_GAP = 10;
const LAYER_GAP = 16;
const LABEL_LINE = 14;
const labelHeight = (lines: string[]) => lines.length * LABEL_LINE + 2;
const BEND_WIDTH = 8;
const MIN_STATE_WIDTH = 72;
const SWEEPS = 8;

const textWidth = (text: string, charWidth: number) => Math.ceil(text.length * charWidth);

interface LevelEdge {
  id: string;
  from: number;
  to: number;
  labelLines: string[];
}

interface Item {
  width: number;
  height: number;
  /** A child state's index, or -1 for a bend/label point of an edge. */
  child: number;
  edge?: string;
  isLabel?: boolean;
  x: number;
  y: number;
  /** The layer's extent: edges pass their bend points vertically, so they cross a layer without bending into it. */
  top?: number;
  bottom?: number;
}

interface LevelResult {
  width: number;
  height: number;
  children: Box[];
  /** Per edge id: bend points relative to the content origin, from source to target, and the label box. */
  routes: Map<string, { points: Point[]; labelBox: Box }>;
}

/** One compound's children and the edges between them, laid out in layers. */
function layoutLevel(
  sizes: { width: number; height: number }[],
  initial: number,
  edges: LevelEdge[],
): LevelResult {
  const count = sizes.length;
  const outgoing: number[][] = sizes.map(() => []);
  for (const edge of edges) outgoing[edge.from]!.push(edge.to);

  // Break cycles: an edge to a state still on the depth-first stack points backwards.
  const visit = new Array<number>(count).fill(0);
  const backward = new Set<string>();
  const dfs = (node: number) => {
    visit[node] = 1;
    for (const edge of edges) {
      if (edge.from !== node) continue;
      if (visit[edge.to] === 1) backward.add(edge.id);
      else if (visit[edge.to] === 0) dfs(edge.to);
    }
    visit[node] = 2;
  };
  const starts = initial >= 0 ? [initial, ...sizes.keys()] : [...sizes.keys()];
  for (const start of starts) if (visit[start] === 0) dfs(start);

  const oriented = edges.map((edge) =>
    backward.has(edge.id)
      ? { ...edge, from: edge.to, to: edge.from, reversed: true }
      : { ...edge, reversed: false },
  );
  const rank = new Array<number>(count).fill(0);
  for (let pass = 0; pass < count; pass++) {
    let changed = false;
    for (const edge of oriented) {
      if (rank[edge.to]! < rank[edge.from]! + 1) {
        rank[edge.to] = rank[edge.from]! + 1;
        changed = true;
      }
    }
    if (!changed) break;
  }

  // Layers: states at even indices, the bend points (and labels, in the first) of longer edges between them.
  const layerCount = 2 * Math.max(0, ...rank) + 1;
  const layers: Item[][] = Array.from({ length: layerCount }, () => []);
  const stateItems: Item[] = sizes.map((size, child) => ({ ...size, child, x: 0, y: 0 }));
  const order = depthFirstOrder(count, initial, outgoing);
  for (const child of order) layers[2 * rank[child]!]!.push(stateItems[child]!);
  const chains = new Map<string, Item[]>();
  const links: [Item, Item][] = [];
  for (const edge of oriented) {
    const chain: Item[] = [];
    let previous = stateItems[edge.from]!;
    for (let layer = 2 * rank[edge.from]! + 1; layer < 2 * rank[edge.to]!; layer++) {
      const isLabel = chain.length === (edge.reversed ? 2 * (rank[edge.to]! - rank[edge.from]!) - 2 : 0);
      const item: Item = isLabel
        ? {
            width: Math.max(...edge.labelLines.map((line) => textWidth(line, TEXT_CHAR_WIDTH))) + 10,
            height: labelHeight(edge.labelLines),
            child: -1,
            edge: edge.id,
            isLabel,
            x: 0,
            y: 0,
          }
        : { width: BEND_WIDTH, height: 0, child: -1, edge: edge.id, x: 0, y: 0 };
      layers[layer]!.push(item);
      chain.push(item);
      links.push([previous, item]);
      previous = item;
    }
    links.push([previous, stateItems[edge.to]!]);
    chains.set(edge.id, edge.reversed ? chain.reverse() : chain);
  }

  orderLayers(layers, links);
  placeHorizontally(layers, links);

  let y = 0;
  for (const layer of layers) {
    const height = Math.max(
      layer.some((item) => item.child < 0) ? 6 : 0,
      ...layer.map((item) => item.height),
    );
    for (const item of layer) {
      item.y = y + height / 2;
      item.top = y;
      item.bottom = y + height;
    }
    y += height + LAYER_GAP;
  }
  const height = Math.max(0, y - LAYER_GAP);
  const all = layers.flat();
  const left = Math.min(0, ...all.map((item) => item.x - item.width / 2));
  const width = Math.max(0, ...all.map((item) => item.x + item.width / 2)) - left;
  const children = stateItems.map((item) => ({
    x: item.x - item.width / 2 - left,
    y: item.y - item.height / 2,
    width: item.width,
    height: item.height,
  }));
  const routes = new Map<string, { points: Point[]; labelBox: Box }>();
  for (const edge of oriented) {
    const chain = chains.get(edge.id)!;
    const label = chain.find((item) => item.isLabel) ?? chain[0]!;
    const lineX = (item: Item) => (item.isLabel ? item.x - item.width / 2 + 3 : item.x) - left;
    routes.set(edge.id, {
      points: chain.flatMap((item) =>
        item.bottom! - item.top! > 1
          ? [
              { x: lineX(item), y: edge.reversed ? item.bottom! : item.top! },
              { x: lineX(item), y: edge.reversed ? item.top! : item.bottom! },
            ]
          : [{ x: lineX(item), y: item.y }],
      ),
      labelBox: {
        x: label.x - label.width / 2 - left + 8,
        y: label.y - label.height / 2,
        width: label.width - 8,
        height: label.height,
      },
    });
  }
  return { width, height, children, routes };
}

function depthFirstOrder(count: number, initial: number, outgoing: number[][]): number[] {
  const seen = new Set<number>();
  const order: number[] = [];
  const walk = (node: number) => {
    if (seen.has(node)) return;
    seen.add(node);
    order.push(node);
    for (const next of outgoing[node]!) walk(next);
  };
  if (initial >= 0) walk(initial);
  for (let node = 0; node < count; node++) walk(node);
  return order;
}

function crossings(layers: Item[][], links: [Item, Item][]): number {
  const position = new Map<Item, number>();
  layers.forEach((layer) => layer.forEach((item, index) => position.set(item, index)));
  const layerOf = new Map<Item, number>();
  layers.forEach((layer, index) => layer.forEach((item) => layerOf.set(item, index)));
  let total = 0;
  const byLayer = new Map<number, [number, number][]>();
  for (const [a, b] of links) {
    const layer = layerOf.get(a)!;
    const list = byLayer.get(layer) ?? [];
    list.push([position.get(a)!, position.get(b)!]);
    byLayer.set(layer, list);
  }
  for (const list of byLayer.values())
    for (let i = 0; i < list.length; i++)
      for (let j = i + 1; j < list.length; j++) {
        const [a1, b1] = list[i]!;
        const [a2, b2] = list[j]!;
        if ((a1 - a2) * (b1 - b2) < 0) total++;
      }
  return total;
}

/** Barycenter sweeps down and up; the ordering with the fewest crossings wins (ties: the earliest). */
function orderLayers(layers: Item[][], links: [Item, Item][]): void {
  const up = new Map<Item, Item[]>();
  const down = new Map<Item, Item[]>();
  for (const [a, b] of links) {
    down.set(a, [...(down.get(a) ?? []), b]);
    up.set(b, [...(up.get(b) ?? []), a]);
  }
  let best = layers.map((layer) => [...layer]);
  let bestCrossings = crossings(layers, links);
  for (let sweep = 0; sweep < SWEEPS && bestCrossings > 0; sweep++) {
    const downward = sweep % 2 === 0;
    const neighbours = downward ? up : down;
    const indices = [...layers.keys()];
    if (!downward) indices.reverse();
    for (const index of indices.slice(1)) {
      const fixed = layers[downward ? index - 1 : index + 1]!;
      const position = new Map(fixed.map((item, i) => [item, i]));
      const layer = layers[index]!;
      const barycenter = layer.map((item, i) => {
        const around = (neighbours.get(item) ?? []).filter((other) => position.has(other));
        if (around.length === 0) return i;
        return around.reduce((sum, other) => sum + position.get(other)!, 0) / around.length;
      });
      const sorted = layer
        .map((item, i) => ({ item, key: barycenter[i]!, i }))
        .sort((a, b) => a.key - b.key || a.i - b.i);
      layers[index] = sorted.map((entry) => entry.item);
    }
    const current = crossings(layers, links);
    if (current < bestCrossings) {
      bestCrossings = current;
      best = layers.map((layer) => [...layer]);
    }
  }
  best.forEach((layer, index) => (layers[index] = layer));
}

const gapBetween = (a: Item, b: Item) => (a.child >= 0 && b.child >= 0 ? STATE_GAP : DUMMY_GAP);

/** Packs each layer in order, then pulls items toward their neighbours' centres without breaking the order. */
function placeHorizontally(layers: Item[][], links: [Item, Item][]): void {
  for (const layer of layers) {
    let x = 0;
    layer.forEach((item, i) => {
      if (i > 0) x += layer[i - 1]!.width / 2 + gapBetween(layer[i - 1]!, item) + item.width / 2;
      item.x = x;
    });
  }
  const neighbours = new Map<Item, Item[]>();
  for (const [a, b] of links) {
    neighbours.set(a, [...(neighbours.get(a) ?? []), b]);
    neighbours.set(b, [...(neighbours.get(b) ?? []), a]);
  }
  for (let round = 0; round < 6; round++) {
    const indices = [...layers.keys()];
    if (round % 2 === 1) indices.reverse();
    for (const index of indices) {
      const layer = layers[index]!;
      const desired = layer.map((item) => {
        const around = neighbours.get(item) ?? [];
        return around.length === 0 ? item.x : around.reduce((sum, other) => sum + other.x, 0) / around.length;
      });
      const left = desired.map((x) => x);
      for (let i = 1; i < layer.length; i++) {
        const min =
          left[i - 1]! + layer[i - 1]!.width / 2 + gapBetween(layer[i - 1]!, layer[i]!) + layer[i]!.width / 2;
        left[i] = Math.max(left[i]!, min);
      }
      const right = desired.map((x) => x);
      for (let i = layer.length - 2; i >= 0; i--) {
        const max =
          right[i + 1]! -
          layer[i + 1]!.width / 2 -
          gapBetween(layer[i]!, layer[i + 1]!) -
          layer[i]!.width / 2;
        right[i] = Math.min(right[i]!, max);
      }
      layer.forEach((item, i) => (item.x = (left[i]! + right[i]!) / 2));
      for (let i = 1; i < layer.length; i++) {
        const min =
          layer[i - 1]!.x +
          layer[i - 1]!.width / 2 +
          gapBetween(layer[i - 1]!, layer[i]!) +
          layer[i]!.width / 2;
        if (layer[i]!.x < min) layer[i]!.x = min;
      }
    }
  }
}

/** Where a transition is drawn: as an edge in the compound both ends sit in, or as text inside its source. */
function classify(graph: MachineGraph) {
  const parentOf = new Map<string, StateGraph | null>();
  const byId = new Map<string, StateGraph>();
  const walk = (state: StateGraph, parent: StateGraph | null) => {
    parentOf.set(state.id, parent);
    byId.set(state.id, state);
    state.states.forEach((child) => walk(child, state));
  };
  walk(graph.root, null);
  const ancestry = (id: string): string[] => {
    const chain: string[] = [];
    for (let state = byId.get(id) ?? null; state; state = parentOf.get(state.id) ?? null)
      chain.unshift(state.id);
    return chain;
  };
  const internal = new Map<string, string[]>();
  const levelEdges = new Map<
    string,
    { edge: LevelEdge; source: string; target: string; transition: TransitionGraph }[]
  >();
  const visit = (state: StateGraph) => {
    state.transitions.forEach((transition, index) => {
      const label = transitionLabel(transition);
      const targets = transition.targets.filter((target) => byId.has(target));
      const addInternal = (text: string) => internal.set(state.id, [...(internal.get(state.id) ?? []), text]);
      if (targets.length === 0) addInternal(label);
      targets.forEach((target, targetIndex) => {
        const from = ancestry(state.id);
        const to = ancestry(target);
        if (target === state.id) return addInternal(`${label} ↻`);
        if (to.includes(state.id) || from.includes(target))
          return addInternal(`${label} → ${byId.get(target)!.key}`);
        let common = 0;
        while (from[common] === to[common]) common++;
        const level = byId.get(from[common - 1]!)!;
        const childIndex = (id: string) => level.states.findIndex((child) => child.id === id);
        const id = `${state.id}#${index}${targetIndex > 0 ? `.${targetIndex}` : ""}`;
        const list = levelEdges.get(level.id) ?? [];
        list.push({
          edge: {
            id,
            from: childIndex(from[common]!),
            to: childIndex(to[common]!),
            labelLines: transitionLabelLines(transition),
          },
          source: state.id,
          target,
          transition,
        });
        levelEdges.set(level.id, list);
      });
    });
    state.states.forEach(visit);
  };
  visit(graph.root);
  return { internal, levelEdges };
}

/**
 * A smooth path through the points: each step is a cubic with vertical tangents at both ends, so a step
 * between points at the same x is straight and no curve swings outside the box its two points span.
 */
function splinePath(points: Point[]): string {
  const f = (n: number) => Math.round(n * 10) / 10;
  if (points.length < 2) return "";
  let path = `M${f(points[0]!.x)},${f(points[0]!.y)}`;
  for (let i = 1; i < points.length; i++) {
    const from = points[i - 1]!;
    const to = points[i]!;
    const middle = (from.y + to.y) / 2;
    path += ` C${f(from.x)},${f(middle)} ${f(to.x)},${f(middle)} ${f(to.x)},${f(to.y)}`;
  }
  return path;
}

/** The point on a state's border facing `toward`. */
function anchor(box: Box, toward: Point): Point {
  const clampX = Math.min(Math.max(toward.x, box.x + 8), box.x + box.width - 8);
  if (toward.y >= box.y + box.height) return { x: clampX, y: box.y + box.height };
  if (toward.y <= box.y) return { x: clampX, y: box.y };
  return {
    x: toward.x < box.x ? box.x : box.x + box.width,
    y: Math.min(Math.max(toward.y, box.y + 8), box.y + box.height - 8),
  };
}

/** Lays out a machine's statechart; the same graph always yields the same layout. */
export function layoutMachine(graph: MachineGraph): MachineLayout {
  const { internal, levelEdges } = classify(graph);
  const states: StateBox[] = [];
  const relative = new Map<string, { box: Box; level: LevelResult | null; origin: Point }>();

  const measure = (state: StateGraph): { width: number; height: number } => {
    const lines = internal.get(state.id) ?? [];
    const invoke = state.invoke.map((invoked) => `invoke ${invoked.id}`);
    const textLines = [...invoke, ...lines];
    const titleWidth = textWidth(state.key, NAME_CHAR_WIDTH) + (state.type === "final" ? 12 : 0);
    const textLinesWidth = Math.max(0, ...textLines.map((line) => textWidth(line, TEXT_CHAR_WIDTH)));
    const headerHeight =
      NAME_LINE + textLines.length * TEXT_LINE + (state.states.length > 0 ? INITIAL_SPACE : 4);
    let width = Math.max(MIN_STATE_WIDTH, titleWidth, textLinesWidth) + 2 * PADDING;
    let height = headerHeight;
    let level: LevelResult | null = null;
    let origin = { x: PADDING, y: headerHeight };
    if (state.states.length > 0) {
      const sizes = state.states.map(measure);
      const initial = state.states.findIndex((child) => child.id === state.initial);
      level = layoutLevel(
        sizes,
        initial,
        (levelEdges.get(state.id) ?? []).map((entry) => entry.edge),
      );
      width = Math.max(width, level.width + 2 * PADDING);
      height = headerHeight + level.height + PADDING;
      origin = { x: (width - level.width) / 2, y: headerHeight };
    }
    relative.set(state.id, { box: { x: 0, y: 0, width, height }, level, origin });
    return { width, height };
  };
  measure(graph.root);

  const absolute = new Map<string, Point>();
  const place = (state: StateGraph, x: number, y: number, depth: number, parent: StateGraph | null) => {
    const entry = relative.get(state.id)!;
    absolute.set(state.id, { x: x + entry.origin.x, y: y + entry.origin.y });
    states.push({
      id: state.id,
      key: state.key,
      type: state.type,
      depth,
      parent: parent?.id ?? null,
      initial: parent?.initial === state.id,
      internal: internal.get(state.id) ?? [],
      invoke: state.invoke.map((invoked) => invoked.id),
      headerHeight: entry.origin.y,
      x,
      y,
      width: entry.box.width,
      height: entry.box.height,
    });
    state.states.forEach((child, index) => {
      const box = entry.level!.children[index]!;
      place(child, x + entry.origin.x + box.x, y + entry.origin.y + box.y, depth + 1, state);
    });
  };
  place(graph.root, 0, 0, 0, null);

  const boxOf = new Map(states.map((state) => [state.id, state]));
  const edges: EdgeLayout[] = [];
  for (const [levelId, entries] of levelEdges) {
    const origin = absolute.get(levelId)!;
    const level = relative.get(levelId)!.level!;
    for (const { edge, source, target, transition } of entries) {
      const route = level.routes.get(edge.id)!;
      const bends = route.points.map((point) => ({ x: point.x + origin.x, y: point.y + origin.y }));
      const sourceBox = boxOf.get(source)!;
      const targetBox = boxOf.get(target)!;
      const first = bends[0] ?? { x: targetBox.x + targetBox.width / 2, y: targetBox.y };
      const last = bends[bends.length - 1] ?? { x: sourceBox.x + sourceBox.width / 2, y: sourceBox.y };
      const points = [anchor(sourceBox, first), ...bends, anchor(targetBox, last)];
      edges.push({
        id: edge.id,
        source,
        target,
        label: transitionLabel(transition),
        labelLines: edge.labelLines,
        transition,
        level: levelId,
        points,
        path: splinePath(points),
        labelBox: { ...route.labelBox, x: route.labelBox.x + origin.x, y: route.labelBox.y + origin.y },
      });
    }
  }
  const root = states[0]!;
  return { machineId: graph.id, width: root.width, height: root.height, states, edges };
}
