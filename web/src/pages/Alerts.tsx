// Alerts: the list (open ones, or all), one alert with the rows that triggered it and its
// evaluations, and an admin's acknowledgement or dismissal with a note.
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../api/client';
import type { Alert, AlertDetail as AlertDetailData } from '../api/types';
import { Empty, ErrorBox, Loaded, RecordTable } from '../components/common';
import { useSession } from '../session';
import { formatTime } from '../util/format';
import { useAsync } from '../util/use-async';

function LevelBadge({ level }: { level: string }) {
  return <span className={`badge severity-${level.toLowerCase()}`}>{level}</span>;
}

function AlertList() {
  const [all, setAll] = useState(false);
  const alerts = useAsync(() => api.alerts(all), [all]);
  return (
    <>
      <div className="toolbar">
        <label>
          <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} />{' '}
          resolved ones too
        </label>
      </div>
      <Loaded state={alerts}>
        {({ alerts: list }) =>
          list.length === 0 ? (
            <Empty>No alerts. Rules raise them when what they watch holds after a sync.</Empty>
          ) : (
            <table className="records" data-testid="alerts">
              <thead>
                <tr>
                  <th>alert</th>
                  <th>rule</th>
                  <th>level</th>
                  <th>status</th>
                  <th>rows</th>
                  <th>opened</th>
                  <th>last seen</th>
                </tr>
              </thead>
              <tbody>
                {list.map((a) => (
                  <tr key={a.id}>
                    <td>
                      <Link to={`/alerts/${a.id}`}>{a.id}</Link>
                    </td>
                    <td>{a.ruleName}</td>
                    <td>
                      <LevelBadge level={a.level} />
                    </td>
                    <td>{a.status}</td>
                    <td>{a.resultSize}</td>
                    <td>{formatTime(a.openedOn)}</td>
                    <td>{formatTime(a.lastSeenOn)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
    </>
  );
}

/** A query's entity rows flatten to their identifying fields (linking to the entity); other rows stay. */
function rowView(row: unknown): Record<string, unknown> {
  const record = (row ?? {}) as Record<string, unknown>;
  const entity = record.entity as Record<string, unknown> | undefined;
  if (entity === undefined || typeof entity !== 'object') return record;
  return {
    displayName: entity.displayName,
    _type: entity._type,
    _class: entity._class,
    _key: entity._key,
    _id: entity._id,
  };
}

/** Acknowledge or dismiss an open alert with a note (admins only; the server checks too). */
function Verdict({ alert, onNoted }: { alert: Alert; onNoted: (a: Alert) => void }) {
  const [note, setNote] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const decide = async (verdict: 'acknowledge' | 'dismiss') => {
    try {
      onNoted(await api.noteAlert(alert.id, verdict, note));
      setNote('');
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };
  return (
    <div className="toolbar" data-testid="alert-verdict">
      <input
        aria-label="note"
        placeholder="note (required)"
        value={note}
        onChange={(e) => setNote(e.target.value)}
        size={50}
      />
      <button
        className="primary"
        disabled={note.trim() === ''}
        onClick={() => void decide('acknowledge')}
      >
        Acknowledge
      </button>
      <button disabled={note.trim() === ''} onClick={() => void decide('dismiss')}>
        Dismiss
      </button>
      {error && <ErrorBox error={error} />}
    </div>
  );
}

function AlertDetail({ alert: initial }: { alert: AlertDetailData }) {
  const { me } = useSession();
  const [alert, setAlert] = useState<Alert>(initial);
  const open = alert.resolvedOn === undefined;
  return (
    <div className="page" data-testid="alert-detail" data-status={alert.status}>
      <h2>
        {alert.ruleName} <LevelBadge level={alert.level} />
      </h2>
      <div className="toolbar">
        <span data-testid="alert-status">
          {alert.status} · opened {formatTime(alert.openedOn)} · last seen{' '}
          {formatTime(alert.lastSeenOn)}
          {alert.resolvedOn !== undefined ? ` · resolved ${formatTime(alert.resolvedOn)}` : ''}
        </span>
      </div>
      {alert.note !== undefined && (
        <p className="note" data-testid="alert-note">
          {alert.status} by {alert.notedBy} {formatTime(alert.notedOn)}: {alert.note}
        </p>
      )}
      {open && me.user?.role === 'admin' && <Verdict alert={alert} onNoted={setAlert} />}
      <h3>Rows that triggered it</h3>
      {Object.entries(initial.rows).map(([name, rows]) => (
        <section key={name} data-testid={`alert-rows-${name}`}>
          <h4>
            {name} ({rows.length} of {initial.resultSize})
          </h4>
          <RecordTable
            rows={rows.map(rowView)}
            linkColumn={(row) =>
              typeof row._id === 'string' ? `/entities/${encodeURIComponent(row._id)}` : undefined
            }
          />
        </section>
      ))}
      <h3>Evaluations while open</h3>
      <RecordTable
        rows={initial.evaluations.map((e) => ({
          started: formatTime(e.startedOn),
          trigger: e.trigger,
          status: e.status,
          rows: e.resultSize,
          'condition met': e.conditionMet,
          error: e.error,
        }))}
      />
    </div>
  );
}

export function Alerts() {
  const { id } = useParams();
  const alert = useAsync(() => (id === undefined ? Promise.resolve(null) : api.alert(id)), [id]);
  if (id === undefined)
    return (
      <div className="page">
        <h2>Alerts</h2>
        <AlertList />
      </div>
    );
  return <Loaded state={alert}>{(a) => (a ? <AlertDetail alert={a} /> : null)}</Loaded>;
}
