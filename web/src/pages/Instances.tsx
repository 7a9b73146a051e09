// Instances: last and next sync, "Run now" with live progress (polled), and every sync's steps.
import { Fragment, useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../api/client';
import type { Instance, SyncDetail } from '../api/types';
import { Empty, ErrorBox, Loaded } from '../components/common';
import { formatTime } from '../util/format';
import { useAsync } from '../util/use-async';

const POLL_MS = 1000;

/**
 * Follows an instance's newest sync until it is no longer running; `since` skips the sync that was
 * newest before "Run now", so the progress reported is the new one's.
 */
function useSyncProgress(
  instance: string,
  since: number | null,
  onUpdate: (sync: SyncDetail) => void,
  onDone: () => void,
  onError: (error: Error) => void,
): void {
  const callbacks = useRef({ onUpdate, onDone, onError });
  callbacks.current = { onUpdate, onDone, onError };
  useEffect(() => {
    if (since === null) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let current = true;
    const poll = async () => {
      const [newest] = (await api.syncs({ instance, limit: 1 })).syncs;
      if (!current) return;
      if (newest === undefined || newest.id <= since) {
        timer = setTimeout(() => void poll().catch(fail), POLL_MS);
        return;
      }
      const detail = await api.sync(newest.id);
      if (!current) return;
      callbacks.current.onUpdate(detail);
      if (detail.status === 'running') timer = setTimeout(() => void poll().catch(fail), POLL_MS);
      else callbacks.current.onDone();
    };
    const fail = (e: unknown) =>
      current && callbacks.current.onError(e instanceof Error ? e : new Error(String(e)));
    void poll().catch(fail);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [instance, since]);
}

function SyncSteps({ sync }: { sync: SyncDetail }) {
  return (
    <div className="sync-detail" data-testid="sync-detail" data-status={sync.status}>
      <div className="small">
        Sync <span className="mono">{sync.id}</span>: <strong>{sync.status}</strong> · started{' '}
        {formatTime(sync.startedOn)}
        {sync.endedOn !== undefined && ` · ended ${formatTime(sync.endedOn)}`} ·{' '}
        {sync.counts.created} created, {sync.counts.updated} updated, {sync.counts.deleted} deleted
        · <Link to={`/changes?sync=${sync.id}`}>changes</Link>
      </div>
      {sync.error && <div className="error">{sync.error}</div>}
      <table className="records">
        <thead>
          <tr>
            <th>step</th>
            <th>status</th>
            <th>API calls</th>
            <th>seconds</th>
            <th>objects</th>
            <th>why</th>
          </tr>
        </thead>
        <tbody>
          {sync.stepResults.map((s) => (
            <tr key={s.id} className={`step-${s.status}`}>
              <td title={s.id}>{s.name}</td>
              <td>{s.status}</td>
              <td className="num">{s.apiCalls}</td>
              <td className="num">
                {s.durationMs === undefined ? '' : (s.durationMs / 1000).toFixed(1)}
              </td>
              <td className="num">
                {Object.values(s.encounteredTypeCounts).reduce((a, b) => a + b, 0)}
              </td>
              <td className="break">{s.error?.message ?? s.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {sync.heldBack.length > 0 && (
        <>
          <h4>Deletions held back</h4>
          <ul className="plain small">
            {sync.heldBack.map((h) => (
              <li key={`${h.kind}:${h.type}`}>
                {h.count} {h.type}: {h.reason}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function InstanceCard({ instance, onChanged }: { instance: Instance; onChanged: () => void }) {
  const [following, setFollowing] = useState<number | null>(
    instance.running ? (instance.lastSync?.id ?? 0) - 1 : null,
  );
  const [latest, setLatest] = useState<SyncDetail | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useSyncProgress(
    instance.name,
    following,
    setLatest,
    () => {
      setFollowing(null);
      onChanged();
    },
    setError,
  );
  const run = async () => {
    setError(null);
    setMessage(null);
    setLatest(null);
    try {
      const before = (await api.syncs({ instance: instance.name, limit: 1 })).syncs[0]?.id ?? 0;
      const requested = await api.runSync(instance.name);
      if (requested.queued) setFollowing(before);
      else setMessage(requested.reason ?? 'The server did not queue the sync.');
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };
  return (
    <section className="card" data-testid={`instance-${instance.name}`}>
      <div className="toolbar">
        <h3>{instance.name}</h3>
        <span className="grow" />
        <button className="primary" onClick={() => void run()} disabled={following !== null}>
          {following !== null ? 'Running…' : 'Run now'}
        </button>
      </div>
      <div className="small">
        Last sync:{' '}
        {instance.lastSync
          ? `${instance.lastSync.status} at ${formatTime(instance.lastSync.startedOn)}`
          : 'never'}
        {' · '}next:{' '}
        {instance.nextSyncAt === undefined ? 'not scheduled' : formatTime(instance.nextSyncAt)}
      </div>
      {message !== null && <div className="note">{message}</div>}
      {error && <ErrorBox error={error} />}
      {following !== null && latest === null && <div className="loading">Queued…</div>}
      {latest !== null && <SyncSteps sync={latest} />}
    </section>
  );
}

function SyncList({ round }: { round: number }) {
  const [params, setParams] = useSearchParams();
  const syncs = useAsync(() => api.syncs(), []);
  const { reload } = syncs;
  useEffect(() => {
    if (round > 0) reload();
  }, [round, reload]);
  const open = params.get('sync') === null ? null : Number(params.get('sync'));
  const detail = useAsync(() => (open === null ? Promise.resolve(null) : api.sync(open)), [open]);
  return (
    <Loaded state={syncs}>
      {({ syncs: list }) =>
        list.length === 0 ? (
          <Empty>No syncs yet.</Empty>
        ) : (
          <table className="records">
            <thead>
              <tr>
                <th>sync</th>
                <th>instance</th>
                <th>status</th>
                <th>started</th>
                <th>ended</th>
                <th>created / updated / deleted</th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => (
                <Fragment key={s.id}>
                  <tr>
                    <td>
                      <button
                        className="link mono"
                        aria-expanded={open === s.id}
                        onClick={() => setParams(open === s.id ? {} : { sync: String(s.id) })}
                      >
                        {s.id}
                      </button>
                    </td>
                    <td>{s.instance}</td>
                    <td className={`status-${s.status}`}>{s.status}</td>
                    <td>{formatTime(s.startedOn)}</td>
                    <td>{formatTime(s.endedOn)}</td>
                    <td>
                      {s.counts.created} / {s.counts.updated} / {s.counts.deleted}
                    </td>
                  </tr>
                  {open === s.id && (
                    <tr>
                      <td colSpan={6}>
                        <Loaded state={detail}>{(d) => (d ? <SyncSteps sync={d} /> : null)}</Loaded>
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        )
      }
    </Loaded>
  );
}

export function Instances() {
  const [round, setRound] = useState(0);
  const instances = useAsync(() => api.instances(), []);
  const changed = () => {
    instances.reload();
    setRound((r) => r + 1);
  };
  return (
    <div className="page">
      <h2>Instances</h2>
      <Loaded state={instances}>
        {({ instances: list }) =>
          list.length === 0 ? (
            <Empty>No instance configured.</Empty>
          ) : (
            list.map((i) => <InstanceCard key={i.name} instance={i} onChanged={changed} />)
          )
        }
      </Loaded>
      <h2>Syncs</h2>
      <SyncList round={round} />
    </div>
  );
}
