// WebGL view of an explorer graph (sigma.js). Filtering, selection and path highlighting are
// reducers over precomputed sets, so a re-render stays O(1) per node.
import { useEffect, useRef } from 'react';
import Sigma from 'sigma';
import type { Settings } from 'sigma/settings';
import {
  EdgeArrowProgram,
  EdgeLineProgram,
  NodeCircleProgram,
  NodePointProgram,
} from 'sigma/rendering';
import type { EdgeAttributes, ExplorerGraph, NodeAttributes } from './model';

export interface CanvasView {
  hiddenClasses: ReadonlySet<string>;
  hiddenTypes: ReadonlySet<string>;
  selected: string | null;
  /** Nodes of a found path; everything else is dimmed while it is set. */
  path: ReadonlySet<string> | null;
}

const DIMMED = '#e3e6ea';

type SizeSettings = Pick<
  Settings,
  | 'defaultNodeType'
  | 'defaultEdgeType'
  | 'hideEdgesOnMove'
  | 'hideLabelsOnMove'
  | 'labelRenderedSizeThreshold'
  | 'labelDensity'
  | 'labelGridCellSize'
>;

/**
 * Above a few thousand items the cheapest programs (GL points, 1 px lines) keep frames fast and
 * edges and labels hide while the camera moves; small graphs label every node, big ones only
 * nodes drawn large enough (sigma's label grid thins them further).
 */
function sizeSettings(graph: ExplorerGraph): SizeSettings {
  const large = graph.order + graph.size > LARGE;
  return {
    defaultNodeType: large ? 'point' : 'circle',
    defaultEdgeType: large ? 'line' : 'arrow',
    hideEdgesOnMove: graph.size > 5000,
    hideLabelsOnMove: graph.order > 2000,
    labelRenderedSizeThreshold: graph.order <= SMALL ? 0 : 8,
    labelDensity: graph.order <= SMALL ? 4 : 1,
    labelGridCellSize: graph.order <= SMALL ? 40 : 100,
  };
}
const LARGE = 4000;
const SMALL = 150;

export function GraphCanvas({
  graph,
  revision,
  view,
  onSelect,
}: {
  graph: ExplorerGraph;
  /** Bumped by the owner after it changed the graph, so the canvas redraws. */
  revision: number;
  view: CanvasView;
  onSelect: (node: string | null) => void;
}) {
  const container = useRef<HTMLDivElement>(null);
  const sigma = useRef<Sigma<NodeAttributes, EdgeAttributes> | null>(null);
  const viewRef = useRef(view);
  viewRef.current = view;
  const onSelectRef = useRef(onSelect);
  onSelectRef.current = onSelect;

  useEffect(() => {
    if (!container.current) return;
    const hidden = (a: NodeAttributes) =>
      viewRef.current.hiddenClasses.has(a.entityClass) ||
      viewRef.current.hiddenTypes.has(a.entityType);
    const renderer = new Sigma<NodeAttributes, EdgeAttributes>(graph, container.current, {
      nodeProgramClasses: { circle: NodeCircleProgram, point: NodePointProgram },
      edgeProgramClasses: { arrow: EdgeArrowProgram, line: EdgeLineProgram },
      ...sizeSettings(graph),
      renderEdgeLabels: false,
      minCameraRatio: 0.05,
      maxCameraRatio: 15,
      zIndex: true,
      // Room for a label beside a node at the edge of the graph.
      stagePadding: 80,
      nodeReducer: (node, data) => {
        const v = viewRef.current;
        if (hidden(data)) return { ...data, hidden: true };
        if (node === v.selected) return { ...data, highlighted: true, forceLabel: true, zIndex: 2 };
        if (v.path !== null)
          return v.path.has(node)
            ? { ...data, forceLabel: true, zIndex: 1 }
            : { ...data, color: DIMMED, label: '', zIndex: 0 };
        return data;
      },
      edgeReducer: (edge, data) => {
        const v = viewRef.current;
        const [source, target] = graph.extremities(edge);
        const s = graph.getNodeAttributes(source);
        const t = graph.getNodeAttributes(target);
        if (hidden(s) || hidden(t)) return { ...data, hidden: true };
        if (v.path !== null)
          return v.path.has(source) && v.path.has(target)
            ? { ...data, color: '#333', size: 2 }
            : { ...data, color: DIMMED };
        if (v.selected !== null && (source === v.selected || target === v.selected))
          return { ...data, color: '#555', size: 1.5 };
        return data;
      },
    });
    renderer.on('clickNode', ({ node }) => onSelectRef.current(node));
    renderer.on('clickStage', () => onSelectRef.current(null));
    sigma.current = renderer;
    return () => {
      renderer.kill();
      sigma.current = null;
    };
  }, [graph]);

  useEffect(() => {
    const renderer = sigma.current;
    if (!renderer) return;
    // The graph grows after the canvas exists (load, expand): settings follow its size.
    for (const [name, value] of Object.entries(sizeSettings(graph)))
      if (renderer.getSetting(name as keyof SizeSettings) !== value)
        renderer.setSetting(name as keyof SizeSettings, value as never);
    renderer.refresh();
  }, [graph, revision, view]);

  return (
    <div
      ref={container}
      className="graph-canvas"
      data-testid="graph-canvas"
      data-nodes={graph.order}
      data-edges={graph.size}
      data-revision={revision}
    />
  );
}
