// Query console: J1QL editor, results as table, graph, tree or JSON, CSV download, saved questions
// and history. The URL holds the query and the view, so a link reruns it.
import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, ApiError } from '../api/client';
import type { QueryResponse, Schema } from '../api/types';
import {
  Empty,
  ErrorBox,
  JsonView,
  Loaded,
  RecordTable,
  Tabs,
  TreeView,
} from '../components/common';
import { GraphCanvas } from '../graph/GraphCanvas';
import { addTree, createGraph, sizeByDegree, type ExplorerGraph } from '../graph/model';
import { useProgressiveLayout } from '../graph/use-layout';
import { QueryEditor, type EditorError } from '../query/QueryEditor';
import { fieldsOf } from '../util/format';
import {
  deleteQuestion,
  history as loadHistory,
  remember,
  saveQuestion,
  savedQuestions,
} from '../util/storage';
import { useAsync } from '../util/use-async';

const VIEWS = ['table', 'graph', 'tree', 'json'] as const;
type View = (typeof VIEWS)[number];
const PAGE = 250;

function rowsOf(result: QueryResponse): Record<string, unknown>[] {
  if (result.type === 'table') return result.data;
  if (result.type === 'list') return result.data.map(fieldsOf);
  return result.data.vertices.map(fieldsOf);
}

function entityLink(row: Record<string, unknown>): string | undefined {
  return typeof row._id === 'string' ? `/entities/${encodeURIComponent(row._id)}` : undefined;
}

/** The result drawn as a graph, laid out on screen; a node click offers its entity page. */
function ResultCanvas({ graph, query }: { graph: ExplorerGraph; query: string }) {
  const { revision, done } = useProgressiveLayout(graph);
  const [selected, setSelected] = useState<string | null>(null);
  const empty = useMemo(() => new Set<string>(), []);
  return (
    <div className="result-graph" data-layout={done ? 'done' : 'layout'}>
      <GraphCanvas
        graph={graph}
        revision={revision}
        view={{ hiddenClasses: empty, hiddenTypes: empty, selected, path: null }}
        onSelect={setSelected}
      />
      <div className="overlay-note">
        {graph.order} entities, {graph.size} relationships ·{' '}
        <Link to={`/explorer?q=${encodeURIComponent(query)}`}>open in explorer</Link>
        {selected !== null && (
          <>
            {' · '}
            <Link to={`/entities/${encodeURIComponent(selected)}`}>
              {graph.getNodeAttribute(selected, 'label')}
            </Link>
          </>
        )}
      </div>
    </div>
  );
}

function GraphResult({ query }: { query: string }) {
  const state = useAsync(async () => {
    const result = await api.query({ query, shape: 'tree', limit: 5000 });
    const graph = createGraph();
    if (result.type === 'tree') {
      addTree(graph, result.data);
      sizeByDegree(graph);
    }
    return graph;
  }, [query]);
  return (
    <Loaded state={state}>
      {(graph) =>
        graph.order === 0 ? (
          <Empty>The result has no entities to draw.</Empty>
        ) : (
          <ResultCanvas graph={graph} query={query} />
        )
      }
    </Loaded>
  );
}

async function downloadCsv(query: string): Promise<void> {
  const blob = await api.queryCsv({ query });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = 'query-result.csv';
  a.click();
  URL.revokeObjectURL(url);
}

function Console({ schema }: { schema: Schema }) {
  const [params, setParams] = useSearchParams();
  const query = params.get('q') ?? '';
  const view = (VIEWS as readonly string[]).includes(params.get('view') ?? '')
    ? (params.get('view') as View)
    : 'table';
  const [text, setText] = useState(query);
  const [result, setResult] = useState<QueryResponse | null>(null);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [running, setRunning] = useState(false);
  const [history, setHistory] = useState(loadHistory);
  const [saved, setSaved] = useState(savedQuestions);
  const [saveName, setSaveName] = useState('');

  useEffect(() => setText(query), [query]);

  useEffect(() => {
    setResult(null);
    setError(null);
    if (query.trim() === '') return;
    let current = true;
    setRunning(true);
    api.query({ query, limit: PAGE }).then(
      (r) => {
        if (!current) return;
        setResult(r);
        setHistory(remember(query));
        setRunning(false);
      },
      (e: unknown) => {
        if (!current) return;
        setError(e instanceof Error ? e : new Error(String(e)));
        setRunning(false);
      },
    );
    return () => {
      current = false;
    };
  }, [query]);

  const run = (q = text) => {
    // Re-running the same text should still run; a new URL state per run keeps Back meaningful.
    if (q === query) setParams({ q, view, run: String(Date.now()) });
    else setParams({ q, view });
  };
  const setView = (v: View) => setParams({ q: query, view: v }, { replace: true });

  const loadMore = async () => {
    if (result?.cursor === undefined) return;
    try {
      const next = await api.query({ query, limit: PAGE, cursor: result.cursor });
      if (next.type === 'tree' || next.type !== result.type) return setResult(next);
      setResult({
        ...next,
        data: [...(result.data as never[]), ...(next.data as never[])],
      } as QueryResponse);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };

  const editorError: EditorError | null =
    error instanceof ApiError
      ? { message: error.message, line: error.line, column: error.column }
      : null;

  return (
    <div className="console">
      <div className="console-main">
        <QueryEditor
          value={text}
          schema={schema}
          error={editorError}
          onChange={setText}
          onRun={() => run()}
        />
        <div className="toolbar">
          <button className="primary" onClick={() => run()} disabled={running}>
            {running ? 'Running…' : 'Run'}
          </button>
          <span className="muted small">Ctrl+Enter runs · Ctrl+Space completes</span>
          <span className="grow" />
          <button onClick={() => void downloadCsv(query).catch(setError)} disabled={query === ''}>
            Download CSV
          </button>
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              if (saveName.trim() !== '')
                setSaved(saveQuestion({ name: saveName.trim(), query: text }));
              setSaveName('');
            }}
          >
            <input
              aria-label="Question name"
              placeholder="name this question"
              value={saveName}
              onChange={(e) => setSaveName(e.target.value)}
            />
            <button type="submit">Save</button>
          </form>
        </div>
        {error && <ErrorBox error={error} />}
        {result && (
          <>
            <div className="toolbar">
              <Tabs tabs={VIEWS} current={view} onChange={setView} />
              <span className="muted small" data-testid="result-count">
                {rowsOf(result).length} {result.truncated ? '(more available)' : ''} rows
              </span>
            </div>
            <div className="result" data-testid={`result-${view}`}>
              {view === 'table' && <RecordTable rows={rowsOf(result)} linkColumn={entityLink} />}
              {view === 'graph' && <GraphResult query={query} />}
              {view === 'tree' && <TreeView value={result.data} />}
              {view === 'json' && <JsonView value={result} />}
            </div>
            {result.cursor !== undefined && view === 'table' && (
              <button onClick={() => void loadMore()}>Load {PAGE} more</button>
            )}
          </>
        )}
      </div>
      <aside className="console-side">
        <h3>Saved questions</h3>
        {saved.length === 0 && <div className="muted small">Name a query and save it.</div>}
        <ul className="plain">
          {saved.map((s) => (
            <li key={s.name}>
              <button className="link" onClick={() => run(s.query)} title={s.query}>
                {s.name}
              </button>
              <button
                className="link danger"
                aria-label={`Delete ${s.name}`}
                onClick={() => setSaved(deleteQuestion(s.name))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
        <h3>History</h3>
        <ul className="plain">
          {history.map((h) => (
            <li key={h}>
              <button className="link mono small" onClick={() => run(h)} title={h}>
                {h}
              </button>
            </li>
          ))}
        </ul>
      </aside>
    </div>
  );
}

export function QueryConsole() {
  const schema = useAsync(() => api.schema(), []);
  return <Loaded state={schema}>{(s) => <Console schema={s} />}</Loaded>;
}
