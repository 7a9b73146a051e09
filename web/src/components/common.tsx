// Small building blocks every page uses: loading/error states, tables of records, JSON and tree views.
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { AsyncState } from '../util/use-async';
import { formatProperty } from '../util/format';

export function ErrorBox({ error }: { error: Error }) {
  return (
    <div className="error" role="alert">
      {error.message}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

/** Renders the value once loaded; a spinner line or the error otherwise. */
export function Loaded<T>({
  state,
  children,
}: {
  state: AsyncState<T>;
  children: (value: T) => ReactNode;
}) {
  if (state.status === 'loading') return <div className="loading">Loading…</div>;
  if (state.status === 'error') return <ErrorBox error={state.error} />;
  return <>{children(state.value)}</>;
}

/** Columns are the union of the rows' keys, in first-seen order; an id column links to its entity. */
export function RecordTable({
  rows,
  linkColumn,
  maxRows = 1000,
}: {
  rows: Record<string, unknown>[];
  linkColumn?: (row: Record<string, unknown>) => string | undefined;
  maxRows?: number;
}) {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows.slice(0, maxRows))
    for (const key of Object.keys(row))
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
  if (rows.length === 0) return <Empty>No rows.</Empty>;
  return (
    <div className="table-wrap">
      <table className="records">
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, maxRows).map((row, i) => {
            const target = linkColumn?.(row);
            return (
              <tr key={i}>
                {columns.map((c, j) => (
                  <td key={c} title={formatProperty(c, row[c])}>
                    {j === 0 && target !== undefined ? (
                      <Link to={target}>{formatProperty(c, row[c])}</Link>
                    ) : (
                      formatProperty(c, row[c])
                    )}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
      {rows.length > maxRows && (
        <div className="note">
          Showing {maxRows} of {rows.length} rows.
        </div>
      )}
    </div>
  );
}

export function JsonView({ value }: { value: unknown }) {
  return <pre className="json">{JSON.stringify(value, null, 2)}</pre>;
}

/** Nested objects and arrays as an expandable outline. */
export function TreeView({ value, label = 'result' }: { value: unknown; label?: string }) {
  if (value === null || typeof value !== 'object')
    return (
      <div className="tree-leaf">
        <span className="tree-key">{label}</span>: {formatProperty(label, value)}
      </div>
    );
  const entries = Array.isArray(value)
    ? value.map((v, i) => [String(i), v] as const)
    : Object.entries(value);
  return (
    <details className="tree-node" open={label === 'result'}>
      <summary>
        <span className="tree-key">{label}</span>{' '}
        <span className="muted">
          {Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`}
        </span>
      </summary>
      {entries.map(([k, v]) => (
        <TreeView key={k} label={k} value={v} />
      ))}
    </details>
  );
}

export function Tabs<T extends string>({
  tabs,
  current,
  onChange,
}: {
  tabs: readonly T[];
  current: T;
  onChange: (tab: T) => void;
}) {
  return (
    <div className="tabs" role="tablist">
      {tabs.map((t) => (
        <button
          key={t}
          role="tab"
          aria-selected={t === current}
          className={t === current ? 'tab active' : 'tab'}
          onClick={() => onChange(t)}
        >
          {t}
        </button>
      ))}
    </div>
  );
}
