// Alerts: list, detail with the rows that raised it, acknowledge. Until the server has alerts
// (its /alerts route answers 404), an empty state says so.
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, ApiError } from '../api/client';
import type { Alert } from '../api/types';
import { Empty, ErrorBox, Loaded, RecordTable } from '../components/common';
import { formatTime } from '../util/format';
import { useAsync } from '../util/use-async';

function notAvailable(error: Error): boolean {
  return error instanceof ApiError && error.status === 404;
}

function AlertList() {
  const alerts = useAsync(() => api.alerts(), []);
  if (alerts.status === 'error' && notAvailable(alerts.error))
    return (
      <Empty>Alerts are not available on this server yet: no alert rules are evaluated.</Empty>
    );
  return (
    <Loaded state={alerts}>
      {({ alerts: list }) =>
        list.length === 0 ? (
          <Empty>No alerts. Rules raise them when a sync changes what they watch.</Empty>
        ) : (
          <table className="records" data-testid="alerts">
            <thead>
              <tr>
                <th>alert</th>
                <th>rule</th>
                <th>severity</th>
                <th>status</th>
                <th>raised</th>
              </tr>
            </thead>
            <tbody>
              {list.map((a) => (
                <tr key={a.id}>
                  <td>
                    <Link to={`/alerts/${encodeURIComponent(a.id)}`}>{a.id}</Link>
                  </td>
                  <td>{a.rule}</td>
                  <td>{a.severity}</td>
                  <td>{a.status}</td>
                  <td>{formatTime(a.raisedOn)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      }
    </Loaded>
  );
}

function AlertDetail({ alert: initial }: { alert: Alert }) {
  const [alert, setAlert] = useState(initial);
  const [error, setError] = useState<Error | null>(null);
  const acknowledge = async () => {
    try {
      setAlert(await api.acknowledge(alert.id));
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };
  return (
    <div className="page" data-testid="alert-detail" data-status={alert.status}>
      <h2>
        {alert.rule} <span className={`badge severity-${alert.severity}`}>{alert.severity}</span>
      </h2>
      <div className="toolbar">
        <span>
          {alert.status} · raised {formatTime(alert.raisedOn)}
          {alert.acknowledgedOn ? ` · acknowledged ${formatTime(alert.acknowledgedOn)}` : ''}
        </span>
        {alert.acknowledgedOn ? null : (
          <button className="primary" onClick={() => void acknowledge()}>
            Acknowledge
          </button>
        )}
      </div>
      {error && <ErrorBox error={error} />}
      <h3>Rows that raised it</h3>
      <RecordTable rows={alert.rows ?? []} />
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
  if (alert.status === 'error' && notAvailable(alert.error))
    return <ErrorBox error={alert.error} />;
  return <Loaded state={alert}>{(a) => (a ? <AlertDetail alert={a} /> : null)}</Loaded>;
}
