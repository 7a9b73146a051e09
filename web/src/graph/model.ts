// The explorer's graph outside React: graphology model built from API results, colours by class,
// a seeded ForceAtlas2 layout, and path finding over what is loaded.
import Graph from 'graphology';
import forceAtlas2 from 'graphology-layout-forceatlas2';
import type { GraphObject, Neighbour, EntitySummary, TreeEdge } from '../api/types';
import { classesOf, displayName, typeOf } from '../util/format';

/** What the explorer needs of an entity, whether it came from a query or a neighbour list. */
export interface NodeInput {
  id: string;
  label: string;
  entityClass: string;
  entityType: string;
}

export interface EdgeInput {
  id: string;
  from: string;
  to: string;
  relationshipClass: string;
}

export interface NodeAttributes {
  label: string;
  x: number;
  y: number;
  size: number;
  color: string;
  entityClass: string;
  entityType: string;
}

export interface EdgeAttributes {
  label: string;
  relationshipClass: string;
  size: number;
  color: string;
}

export type ExplorerGraph = Graph<NodeAttributes, EdgeAttributes>;

/** Distinct colours, readable on white; a class keeps its colour across sessions (hash → slot). */
const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#7f7f7f',
  '#393b79',
  '#637939',
];

export function colourOf(entityClass: string): string {
  let hash = 0;
  for (const ch of entityClass) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length] as string;
}

export function createGraph(): ExplorerGraph {
  return new Graph<NodeAttributes, EdgeAttributes>({ multi: true, type: 'directed' });
}

/** Deterministic pseudo-random start positions (FA2 needs distinct ones), near `around` if given. */
function seededPosition(id: string, around?: { x: number; y: number }): { x: number; y: number } {
  let h = 2166136261;
  for (const ch of id) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  const angle = ((h & 0xffff) / 0xffff) * 2 * Math.PI;
  const radius = around ? 1 + ((h >>> 16) / 0xffff) * 2 : 10 + ((h >>> 16) / 0xffff) * 90;
  return {
    x: (around?.x ?? 0) + radius * Math.cos(angle),
    y: (around?.y ?? 0) + radius * Math.sin(angle),
  };
}

export function nodeOfResult(v: GraphObject): NodeInput {
  return {
    id: v.id,
    label: displayName(v),
    entityClass: classesOf(v)[0] ?? 'Entity',
    entityType: typeOf(v),
  };
}

export function nodeOfSummary(e: EntitySummary): NodeInput {
  return {
    id: e.id,
    label: e.displayName ?? e.key,
    entityClass: e.class[0] ?? 'Entity',
    entityType: e.type,
  };
}

export function edgeOfResult(e: TreeEdge): EdgeInput {
  return {
    id: e.id,
    from: e.fromVertexId,
    to: e.toVertexId,
    relationshipClass: classesOf(e)[0] ?? typeOf(e),
  };
}

export function edgeOfNeighbour(node: string, n: Neighbour): EdgeInput {
  return {
    id: n.relationship.id,
    from: n.direction === 'out' ? node : n.entity.id,
    to: n.direction === 'out' ? n.entity.id : node,
    relationshipClass: n.relationship.class,
  };
}

/** Adds entities not yet present (placed near `around` when given); returns the ids added. */
export function addNodes(
  graph: ExplorerGraph,
  nodes: NodeInput[],
  around?: { x: number; y: number },
): string[] {
  const added: string[] = [];
  for (const n of nodes) {
    if (graph.hasNode(n.id)) continue;
    graph.addNode(n.id, {
      label: n.label,
      ...seededPosition(n.id, around),
      size: 5,
      color: colourOf(n.entityClass),
      entityClass: n.entityClass,
      entityType: n.entityType,
    });
    added.push(n.id);
  }
  return added;
}

/** Adds relationships between loaded entities (others are skipped: their ends are not drawn). */
export function addEdges(graph: ExplorerGraph, edges: EdgeInput[]): void {
  for (const e of edges) {
    if (graph.hasEdge(e.id) || !graph.hasNode(e.from) || !graph.hasNode(e.to)) continue;
    graph.addDirectedEdgeWithKey(e.id, e.from, e.to, {
      label: e.relationshipClass,
      relationshipClass: e.relationshipClass,
      size: 1,
      color: '#b8c0cc',
    });
  }
}

/** A query's tree result as nodes and edges. */
export function addTree(
  graph: ExplorerGraph,
  tree: { vertices: GraphObject[]; edges: TreeEdge[] },
): void {
  addNodes(graph, tree.vertices.map(nodeOfResult));
  addEdges(graph, tree.edges.map(edgeOfResult));
}

/** Node size grows with degree so hubs stand out; bounded so labels stay legible. */
export function sizeByDegree(graph: ExplorerGraph): void {
  // Thousands of nodes share the same canvas: smaller dots keep the structure visible.
  const scale = graph.order > 1000 ? 0.4 : 1;
  graph.forEachNode((node) => {
    const size = Math.min(16, 4 + Math.sqrt(graph.degree(node)) * 1.5) * scale;
    graph.setNodeAttribute(node, 'size', size);
  });
}

/** ForceAtlas2 with Barnes-Hut and settings inferred from the graph; fewer iterations when big. */
function layoutPlan(graph: ExplorerGraph) {
  return {
    iterations: graph.order > 2000 ? 40 : graph.order > 300 ? 100 : 200,
    settings: { ...forceAtlas2.inferSettings(graph), barnesHutOptimize: graph.order > 300 },
  };
}

/** Entities without relationships (a plain list) read best in rows, wider than tall for labels. */
function gridLayout(graph: ExplorerGraph): void {
  // Columns six units apart and rows one apart fill a viewport about twice as wide as tall.
  const columns = Math.ceil(Math.sqrt(graph.order / 3));
  let i = 0;
  graph.forEachNode((node) => {
    graph.mergeNodeAttributes(node, { x: (i % columns) * 6, y: -Math.floor(i / columns) });
    i++;
  });
}

export function layout(graph: ExplorerGraph): void {
  if (graph.order < 2) return;
  if (graph.size === 0) return gridLayout(graph);
  forceAtlas2.assign(graph, layoutPlan(graph));
}

/**
 * The same layout in slices of about a tenth of a second, yielding a frame between slices: the
 * page stays responsive and the graph is drawn while it settles. False when cancelled.
 */
export async function layoutProgressively(
  graph: ExplorerGraph,
  onSlice: () => void,
  cancelled: () => boolean,
): Promise<boolean> {
  if (graph.order < 2) return true;
  if (graph.size === 0) {
    gridLayout(graph);
    onSlice();
    return true;
  }
  const { iterations, settings } = layoutPlan(graph);
  const slice = Math.max(1, Math.round(20_000 / graph.order));
  for (let done = 0; done < iterations; done += slice) {
    await new Promise<void>((next) => requestAnimationFrame(() => next()));
    if (cancelled()) return false;
    forceAtlas2.assign(graph, { iterations: Math.min(slice, iterations - done), settings });
    onSlice();
  }
  return true;
}

export function countBy(
  graph: ExplorerGraph,
  attribute: 'entityClass' | 'entityType',
): Map<string, number> {
  const counts = new Map<string, number>();
  graph.forEachNode((_n, a) => counts.set(a[attribute], (counts.get(a[attribute]) ?? 0) + 1));
  return new Map([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/** Shortest path ignoring direction (a user asks "how are these two connected"), or null. */
export function findPath(graph: ExplorerGraph, from: string, to: string): string[] | null {
  if (!graph.hasNode(from) || !graph.hasNode(to)) return null;
  const previous = new Map<string, string | null>([[from, null]]);
  let frontier = [from];
  while (frontier.length > 0 && !previous.has(to)) {
    const next: string[] = [];
    for (const node of frontier)
      for (const neighbour of graph.neighbors(node))
        if (!previous.has(neighbour)) {
          previous.set(neighbour, node);
          next.push(neighbour);
        }
    frontier = next;
  }
  if (!previous.has(to)) return null;
  const path: string[] = [];
  for (let node: string | null = to; node !== null; node = previous.get(node) ?? null)
    path.unshift(node);
  return path;
}
