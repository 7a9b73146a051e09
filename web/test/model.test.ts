// The explorer's graph model: paths over loaded entities, layouts, legend counts.
import { describe, expect, it } from 'vitest';
import {
  addEdges,
  addNodes,
  countBy,
  createGraph,
  findPath,
  layout,
  type NodeInput,
} from '../src/graph/model';

const node = (
  id: string,
  entityClass = 'Device',
  entityType = 'microsoft_defender_machine',
): NodeInput => ({
  id,
  label: id,
  entityClass,
  entityType,
});

/** a → b → c ← d, and e alone. */
function sample() {
  const graph = createGraph();
  addNodes(graph, [
    node('a'),
    node('b', 'Finding', 'vuln'),
    node('c', 'Finding', 'vuln'),
    node('d', 'User', 'user'),
    node('e'),
  ]);
  addEdges(graph, [
    { id: 'ab', from: 'a', to: 'b', relationshipClass: 'IDENTIFIED' },
    { id: 'bc', from: 'b', to: 'c', relationshipClass: 'IS' },
    { id: 'dc', from: 'd', to: 'c', relationshipClass: 'HAS' },
    { id: 'ax', from: 'a', to: 'not-loaded', relationshipClass: 'HAS' },
  ]);
  return graph;
}

describe('explorer graph model', () => {
  it('skips relationships whose other end is not loaded', () => {
    expect(sample().size).toBe(3);
  });

  it('finds the shortest path ignoring direction, or none', () => {
    const graph = sample();
    expect(findPath(graph, 'a', 'd')).toEqual(['a', 'b', 'c', 'd']);
    expect(findPath(graph, 'd', 'a')).toEqual(['d', 'c', 'b', 'a']);
    expect(findPath(graph, 'a', 'e')).toBeNull();
    expect(findPath(graph, 'a', 'missing')).toBeNull();
  });

  it('counts the legend by class, largest first then by name', () => {
    expect([...countBy(sample(), 'entityClass')]).toEqual([
      ['Device', 2],
      ['Finding', 2],
      ['User', 1],
    ]);
  });

  it('lays a list without relationships out as rows of columns six units apart', () => {
    const graph = createGraph();
    addNodes(
      graph,
      ['p', 'q', 'r', 's', 't', 'u', 'v'].map((id) => node(id)),
    );
    layout(graph);
    // 7 nodes: ceil(sqrt(7 / 3)) = 2 columns.
    expect(graph.mapNodes((_n, a) => [a.x, a.y])).toEqual([
      [0, -0],
      [6, -0],
      [0, -1],
      [6, -1],
      [0, -2],
      [6, -2],
      [0, -3],
    ]);
  });

  it('places a new neighbour near the node it was expanded from', () => {
    const graph = createGraph();
    addNodes(graph, [node('hub')]);
    graph.mergeNodeAttributes('hub', { x: 500, y: -500 });
    addNodes(graph, [node('leaf')], { x: 500, y: -500 });
    const leaf = graph.getNodeAttributes('leaf');
    expect(Math.hypot(leaf.x - 500, leaf.y + 500)).toBeLessThanOrEqual(3);
  });
});
