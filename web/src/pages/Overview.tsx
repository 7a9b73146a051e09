// Overview: counts by class and type, last sync per instance, open alerts, riskiest machines and
// newest critical CVEs, each linking to where it is explored.
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client';
import type { EntitySummary } from '../api/types';
import { Empty, Loaded } from '../components/common';
import { formatTime } from '../util/format';
import { useAsync } from '../util/use-async';

function Counts({ title, counts }: { title: string; counts: { name: string; count: number }[] }) {
  return (
    <section className="card">
      <h3>{title}</h3>
      {counts.length === 0 ? (
        <Empty>Nothing synced yet.</Empty>
      ) : (
        <table className="counts">
          <tbody>
            {counts.map((c) => (
              <tr key={c.name}>
                <td>
                  <Link to={`/query?q=${encodeURIComponent(`FIND ${c.name}`)}`}>{c.name}</Link>
                </td>
                <td className="num">{c.count.toLocaleString('en')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function EntityList<T extends { entity: EntitySummary }>({
  title,
  items,
  detail,
}: {
  title: string;
  items: T[];
  detail: (item: T) => ReactNode;
}) {
  return (
    <section className="card">
      <h3>{title}</h3>
      {items.length === 0 ? (
        <Empty>None.</Empty>
      ) : (
        <ol className="plain">
          {items.map((item) => (
            <li key={item.entity.id}>
              <Link to={`/entities/${encodeURIComponent(item.entity.id)}`}>
                {item.entity.displayName ?? item.entity.key}
              </Link>{' '}
              <span className="muted small">{detail(item)}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

export function Overview() {
  const overview = useAsync(() => api.overview(), []);
  return (
    <div className="page">
      <h2>Overview</h2>
      <Loaded state={overview}>
        {(o) => (
          <div className="grid" data-testid="overview">
            <section className="card">
              <h3>Graph</h3>
              <div>
                <span className="big-number">{o.entityCount.toLocaleString('en')}</span> entities ·{' '}
                <span className="big-number">{o.relationshipCount.toLocaleString('en')}</span>{' '}
                relationships
              </div>
              <h3>Instances</h3>
              {o.instances.length === 0 ? (
                <Empty>No instance configured.</Empty>
              ) : (
                <ul className="plain">
                  {o.instances.map((i) => (
                    <li key={i.name}>
                      <Link to="/instances">{i.name}</Link>:{' '}
                      {i.lastSync ? (
                        <>
                          <span className={`status-${i.lastSync.status}`}>{i.lastSync.status}</span>{' '}
                          <span className="muted small">
                            {formatTime(i.lastSync.endedOn ?? i.lastSync.startedOn)}
                          </span>
                        </>
                      ) : (
                        'never synced'
                      )}
                    </li>
                  ))}
                </ul>
              )}
              <h3>Open alerts</h3>
              <Link to="/alerts" className="big-number" data-testid="open-alerts">
                {o.openAlerts}
              </Link>
            </section>
            <EntityList
              title="Highest-risk machines"
              items={o.riskiestMachines}
              detail={(m) =>
                `${m.riskScore ?? 'no'} risk · ${m.exposureLevel ?? 'no'} exposure · ${m.vulnerabilityCount} CVEs`
              }
            />
            <EntityList
              title="Newest critical CVEs"
              items={o.newestCriticalCves}
              detail={(c) =>
                `CVSS ${c.cvssScore ?? '—'} · ${c.machineCount} machines · ${formatTime(c.publishedOn).slice(0, 10)}`
              }
            />
            <Counts
              title="Entities by class"
              counts={o.classes.map((c) => ({ name: c.class, count: c.count }))}
            />
            <Counts
              title="Entities by type"
              counts={o.types
                .filter((t) => t.kind === 'entity')
                .map((t) => ({ name: t.type, count: t.count }))}
            />
          </div>
        )}
      </Loaded>
    </div>
  );
}
