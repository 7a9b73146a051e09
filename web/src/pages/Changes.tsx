// Changes: a timeline of syncs (created/updated/deleted per sync), and one sync's changes,
// filterable by kind, class and type, updates shown before → after.
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../api/client';
import type { Change, SyncSummary } from '../api/types';
import { Empty, ErrorBox, Loaded } from '../components/common';
import { formatProperty, formatTime } from '../util/format';
import { useAsync } from '../util/use-async';

const KINDS = ['created', 'updated', 'deleted'] as const;

function Timeline({ syncs, selected }: { syncs: SyncSummary[]; selected: number }) {
  const [params, setParams] = useSearchParams();
  const most = Math.max(1, ...syncs.map((s) => KINDS.reduce((n, k) => n + s.counts[k], 0)));
  return (
    <ol className="timeline" aria-label="Syncs">
      {syncs.map((s) => (
        <li key={s.id} className={s.id === selected ? 'selected' : ''}>
          <button
            className="timeline-entry"
            onClick={() => {
              const next = new URLSearchParams(params);
              next.set('sync', String(s.id));
              setParams(next);
            }}
          >
            <span className="small">{formatTime(s.startedOn)}</span>
            <span className="small muted">
              {s.instance} · {s.status}
            </span>
            <span className="bars">
              {KINDS.map((k) => (
                <span
                  key={k}
                  className={`bar bar-${k}`}
                  title={`${s.counts[k]} ${k}`}
                  style={{ width: `${(s.counts[k] / most) * 100}%` }}
                />
              ))}
            </span>
            <span className="small">
              +{s.counts.created} ~{s.counts.updated} −{s.counts.deleted}
            </span>
          </button>
        </li>
      ))}
    </ol>
  );
}

function UpdateDetail({ change }: { change: Change }) {
  return (
    <ul className="plain small">
      {(change.properties ?? []).map((p) => (
        <li key={p.property}>
          <span className="mono">{p.property}</span>:{' '}
          <del>{formatProperty(p.property, p.before)}</del> →{' '}
          <ins>{formatProperty(p.property, p.after)}</ins>
        </li>
      ))}
    </ul>
  );
}

function ChangeList({ syncId }: { syncId: number }) {
  const [params, setParams] = useSearchParams();
  const filters = {
    kind: params.get('kind') ?? '',
    class: params.get('class') ?? '',
    type: params.get('type') ?? '',
  };
  const changes = useAsync(
    () => api.changes(syncId, filters),
    [syncId, filters.kind, filters.class, filters.type],
  );
  // Pages after the first, appended by "Load more"; a new first page starts over.
  const [more, setMore] = useState<{ changes: Change[]; cursor?: string } | null>(null);
  const [moreError, setMoreError] = useState<Error | null>(null);
  const firstPage = changes.status === 'done' ? changes.value : null;
  useEffect(() => {
    setMore(null);
    setMoreError(null);
  }, [firstPage]);
  const loadMore = async (cursor: string) => {
    try {
      const page = await api.changes(syncId, { ...filters, cursor });
      setMore({ changes: [...(more?.changes ?? []), ...page.changes], cursor: page.cursor });
    } catch (e) {
      setMoreError(e instanceof Error ? e : new Error(String(e)));
    }
  };
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value === '') next.delete(name);
    else next.set(name, value);
    setParams(next, { replace: true });
  };
  return (
    <div>
      <div className="toolbar">
        <label>
          kind{' '}
          <select value={filters.kind} onChange={(e) => set('kind', e.target.value)}>
            <option value="">all</option>
            {KINDS.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        <label>
          class <input value={filters.class} onChange={(e) => set('class', e.target.value)} />
        </label>
        <label>
          type <input value={filters.type} onChange={(e) => set('type', e.target.value)} />
        </label>
      </div>
      <Loaded state={changes}>
        {({ changes: first, counts, cursor: firstCursor }) => {
          const list = [...first, ...(more?.changes ?? [])];
          const cursor = more === null ? firstCursor : more.cursor;
          return list.length === 0 ? (
            <Empty>No changes match.</Empty>
          ) : (
            <>
              <div className="note" data-testid="change-counts">
                {counts.created} created · {counts.updated} updated · {counts.deleted} deleted
                {cursor !== undefined && ` · showing the first ${list.length} of this filter`}
              </div>
              <table className="records" data-testid="changes">
                <thead>
                  <tr>
                    <th>change</th>
                    <th>type</th>
                    <th>name</th>
                    <th>what changed</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((c) => (
                    <tr key={`${c.kind}:${c.key}`} className={`change-${c.change}`}>
                      <td>{c.change}</td>
                      <td>{c.type}</td>
                      <td className="break">
                        {c.kind === 'entity' ? (
                          <Link to={`/entities/${encodeURIComponent(c.key)}?tab=history`}>
                            {c.displayName ?? c.key}
                          </Link>
                        ) : (
                          (c.displayName ?? c.key)
                        )}
                      </td>
                      <td>{c.change === 'updated' ? <UpdateDetail change={c} /> : ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {moreError && <ErrorBox error={moreError} />}
              {cursor !== undefined && (
                <button onClick={() => void loadMore(cursor)}>Load more</button>
              )}
            </>
          );
        }}
      </Loaded>
    </div>
  );
}

export function Changes() {
  const [params] = useSearchParams();
  const syncs = useAsync(() => api.syncs(), []);
  return (
    <Loaded state={syncs}>
      {({ syncs: list }) => {
        const selected = Number(params.get('sync') ?? list[0]?.id ?? 0);
        return list.length === 0 ? (
          <Empty>No syncs yet: run one from Instances.</Empty>
        ) : (
          <div className="split">
            <Timeline syncs={list} selected={selected} />
            <div className="grow">
              <h2>Changes of sync {selected}</h2>
              <ChangeList syncId={selected} />
            </div>
          </div>
        );
      }}
    </Loaded>
  );
}
