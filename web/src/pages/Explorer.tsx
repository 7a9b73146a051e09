// Graph explorer: start from a query or an entity, expand neighbours by relationship class, filter by
// class or type, find a path, inspect a node. The URL holds the starting point.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../api/client';
import type { Neighbour } from '../api/types';
import { ErrorBox, Loaded } from '../components/common';
import { PropertyTable } from '../components/PropertyTable';
import { GraphCanvas } from '../graph/GraphCanvas';
import {
  addEdges,
  addNodes,
  addTree,
  colourOf,
  countBy,
  createGraph,
  edgeOfNeighbour,
  findPath,
  layout,
  layoutProgressively,
  nodeOfSummary,
  sizeByDegree,
  type ExplorerGraph,
} from '../graph/model';
import { useAsync } from '../util/use-async';

const EXPLORER_LIMIT = 5000;
const RELAYOUT_LIMIT = 1000;

function toggle(set: ReadonlySet<string>, value: string): Set<string> {
  const next = new Set(set);
  if (next.has(value)) next.delete(value);
  else next.add(value);
  return next;
}

function groupByClass(neighbours: Neighbour[]): Map<string, Neighbour[]> {
  const groups = new Map<string, Neighbour[]>();
  for (const n of neighbours) {
    const label = `${n.direction === 'out' ? '→' : '←'} ${n.relationship.class}`;
    groups.set(label, [...(groups.get(label) ?? []), n]);
  }
  return groups;
}

/** Adds a node's neighbours of one relationship class (or all), placed around it. */
function expandInto(graph: ExplorerGraph, node: string, neighbours: Neighbour[]): void {
  const at = graph.hasNode(node) ? graph.getNodeAttributes(node) : undefined;
  addNodes(
    graph,
    neighbours.map((n) => nodeOfSummary(n.entity)),
    at && { x: at.x, y: at.y },
  );
  addEdges(
    graph,
    neighbours.map((n) => edgeOfNeighbour(node, n)),
  );
}

/** The selected entity's properties, fetched when it is selected. */
function Properties({ id }: { id: string }) {
  const detail = useAsync(() => api.entity(id), [id]);
  return (
    <Loaded state={detail}>
      {(d) => (
        <PropertyTable
          record={{
            _id: d.entity.id,
            _key: d.entity.key,
            _type: d.entity.type,
            _class: d.entity.class,
            ...d.properties,
          }}
        />
      )}
    </Loaded>
  );
}

/** A one-field form that sets where the explorer starts. */
function StartForm(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  placeholder: string;
  button: string;
  onSubmit: () => void;
}) {
  return (
    <form
      className="inline-form start-form"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        props.onSubmit();
      }}
    >
      <input
        aria-label={props.label}
        className="grow mono"
        value={props.value}
        placeholder={props.placeholder}
        onChange={(e) => props.onChange(e.target.value)}
      />
      <button type="submit">{props.button}</button>
    </form>
  );
}

/** One legend list: a row per class or type with its count; unticking hides it. */
function LegendList({
  counts,
  hidden,
  onChange,
  swatch,
}: {
  counts: Map<string, number>;
  hidden: ReadonlySet<string>;
  onChange: (next: ReadonlySet<string>) => void;
  swatch?: (name: string) => string;
}) {
  return (
    <>
      {[...counts].map(([name, count]) => (
        <label key={name} className="legend-row">
          <input
            type="checkbox"
            checked={!hidden.has(name)}
            onChange={() => onChange(toggle(hidden, name))}
          />
          {swatch && <span className="swatch" style={{ background: swatch(name) }} />}
          <span className="grow small ellipsis" title={name}>
            {name}
          </span>
          <span className="muted">{count}</span>
        </label>
      ))}
    </>
  );
}

export function Explorer() {
  const [params, setParams] = useSearchParams();
  const startQuery = params.get('q') ?? '';
  const startEntity = params.get('entity') ?? '';
  const graph = useMemo<ExplorerGraph>(() => createGraph(), [startQuery, startEntity]);
  const [revision, setRevision] = useState(0);
  const [status, setStatus] = useState<'idle' | 'loading' | 'layout' | 'done'>('idle');
  const [error, setError] = useState<Error | null>(null);
  const [note, setNote] = useState('');
  const [selected, setSelected] = useState<string | null>(null);
  const [hiddenClasses, setHiddenClasses] = useState<ReadonlySet<string>>(new Set());
  const [hiddenTypes, setHiddenTypes] = useState<ReadonlySet<string>>(new Set());
  const [pathFrom, setPathFrom] = useState<string | null>(null);
  const [path, setPath] = useState<ReadonlySet<string> | null>(null);
  const [neighbours, setNeighbours] = useState<Neighbour[] | null>(null);
  const [queryText, setQueryText] = useState(startQuery);
  const [entityText, setEntityText] = useState(startEntity);

  useEffect(() => {
    setQueryText(startQuery);
    setEntityText(startEntity);
    setSelected(null);
    setPath(null);
    setPathFrom(null);
    setError(null);
    if (startQuery === '' && startEntity === '') return;
    let current = true;
    setStatus('loading');
    const load = async () => {
      if (startQuery !== '') {
        const result = await api.query({ query: startQuery, shape: 'tree', limit: EXPLORER_LIMIT });
        if (result.type !== 'tree') throw new Error('The query did not return a graph.');
        addTree(graph, result.data);
        setNote(
          result.truncated ? `Showing the first ${graph.order} entities of a larger result.` : '',
        );
      } else {
        const found = await api.neighbours(startEntity);
        addNodes(graph, [nodeOfSummary(found.entity)]);
        expandInto(graph, found.entity.id, found.neighbours);
        setNote(found.truncated ? 'Showing the first neighbours only.' : '');
        if (current) setSelected(found.entity.id);
      }
      sizeByDegree(graph);
      if (!current) return;
      // Drawn at once, then laid out while on screen (a big layout would freeze the page).
      setStatus('layout');
      setRevision((r) => r + 1);
      await layoutProgressively(
        graph,
        () => setRevision((r) => r + 1),
        () => !current,
      );
    };
    load().then(
      () => {
        if (current) setStatus('done');
      },
      (e: unknown) => {
        if (!current) return;
        setStatus('done');
        setError(e instanceof Error ? e : new Error(String(e)));
      },
    );
    return () => {
      current = false;
    };
  }, [graph, startQuery, startEntity]);

  useEffect(() => {
    setNeighbours(null);
    if (selected === null) return;
    let current = true;
    api.neighbours(selected).then(
      (r) => current && setNeighbours(r.neighbours),
      (e: unknown) => current && setError(e instanceof Error ? e : new Error(String(e))),
    );
    return () => {
      current = false;
    };
  }, [selected]);

  const expand = (node: string, group: Neighbour[]) => {
    expandInto(graph, node, group);
    sizeByDegree(graph);
    // Small graphs are laid out again so new neighbours settle among the rest; big ones keep
    // their positions (new nodes sit around the expanded one) so the picture stays familiar.
    if (graph.order <= RELAYOUT_LIMIT) layout(graph);
    setRevision((r) => r + 1);
  };

  const showPath = (from: string, to: string) => {
    const found = findPath(graph, from, to);
    if (found === null) setNote('No path between these two among the loaded entities.');
    else setNote(`Path of ${found.length - 1} hop(s).`);
    setPath(found === null ? null : new Set(found));
  };

  const classes = useMemo(() => countBy(graph, 'entityClass'), [graph, revision]);
  const types = useMemo(() => countBy(graph, 'entityType'), [graph, revision]);
  const node =
    selected !== null && graph.hasNode(selected) ? graph.getNodeAttributes(selected) : null;

  return (
    <div className="explorer">
      <div className="toolbar">
        <StartForm
          label="Start from a query"
          value={queryText}
          onChange={setQueryText}
          placeholder="FIND microsoft_defender_machine THAT IDENTIFIED Finding"
          button="Show"
          onSubmit={() => setParams({ q: queryText })}
        />
        <StartForm
          label="Start from an entity"
          value={entityText}
          onChange={setEntityText}
          placeholder="entity id or key"
          button="Open"
          onSubmit={() => setParams({ entity: entityText })}
        />
      </div>
      {error && <ErrorBox error={error} />}
      <div className="explorer-body">
        <aside className="legend" aria-label="Legend">
          <h3>Classes</h3>
          <LegendList
            counts={classes}
            hidden={hiddenClasses}
            onChange={setHiddenClasses}
            swatch={colourOf}
          />
          <h3>Types</h3>
          <LegendList counts={types} hidden={hiddenTypes} onChange={setHiddenTypes} />
        </aside>
        <div className="canvas-area" data-layout={status}>
          {status === 'idle' && <div className="empty">Start from a query or an entity above.</div>}
          {status === 'loading' && <div className="loading overlay">Loading…</div>}
          {status === 'layout' && <div className="loading overlay">Laying out…</div>}
          {note !== '' && <div className="note overlay-note">{note}</div>}
          <GraphCanvas
            graph={graph}
            revision={revision}
            view={{ hiddenClasses, hiddenTypes, selected, path }}
            onSelect={setSelected}
          />
        </div>
        <aside className="inspector" aria-label="Selected entity">
          {node === null || selected === null ? (
            <div className="muted">Click a node to see its properties.</div>
          ) : (
            <>
              <h3 className="break">{node.label}</h3>
              <div className="muted small">
                {node.entityClass} · {node.entityType}
              </div>
              <div className="actions">
                <Link to={`/entities/${encodeURIComponent(selected)}`}>Entity page</Link>
                <button onClick={() => setPathFrom(selected)}>Path from here</button>
                {pathFrom !== null && pathFrom !== selected && (
                  <button onClick={() => showPath(pathFrom, selected)}>Path to here</button>
                )}
                {path !== null && <button onClick={() => setPath(null)}>Clear path</button>}
              </div>
              <h4>Expand</h4>
              {neighbours === null ? (
                <div className="loading">Loading neighbours…</div>
              ) : neighbours.length === 0 ? (
                <div className="muted">No relationships.</div>
              ) : (
                <div className="expand-list">
                  {[...groupByClass(neighbours)].map(([c, group]) => (
                    <button key={c} onClick={() => expand(selected, group)}>
                      {c} ({group.length})
                    </button>
                  ))}
                </div>
              )}
              <h4>Properties</h4>
              <Properties id={selected} />
            </>
          )}
        </aside>
      </div>
    </div>
  );
}
