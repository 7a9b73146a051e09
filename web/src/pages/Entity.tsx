// Entity page: properties, relationships, raw data, and the version history with a side-by-side
// diff of any two versions. The URL holds the tab and the two versions compared.
import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api } from '../api/client';
import type { EntityDetail, Neighbour, Version } from '../api/types';
import { Empty, JsonView, Loaded, Tabs } from '../components/common';
import { PropertyTable } from '../components/PropertyTable';
import { diffVersions } from '../diff/versions';
import { formatProperty, formatTime } from '../util/format';
import { useAsync } from '../util/use-async';

const TABS = ['properties', 'relationships', 'raw', 'history'] as const;
type Tab = (typeof TABS)[number];

function Relationships({ neighbours }: { neighbours: Neighbour[] }) {
  if (neighbours.length === 0) return <Empty>No relationships.</Empty>;
  return (
    <table className="records">
      <thead>
        <tr>
          <th>direction</th>
          <th>relationship</th>
          <th>entity</th>
          <th>class</th>
          <th>type</th>
        </tr>
      </thead>
      <tbody>
        {neighbours.map((n) => (
          <tr key={n.relationship.id}>
            <td>{n.direction === 'out' ? '→' : '←'}</td>
            <td>{n.relationship.class}</td>
            <td>
              <Link to={`/entities/${encodeURIComponent(n.entity.id)}`}>
                {n.entity.displayName ?? n.entity.key}
              </Link>
            </td>
            <td>{n.entity.class.join(', ')}</td>
            <td>{n.entity.type}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function VersionDiff({ left, right }: { left: Version; right: Version }) {
  const rows = diffVersions(left.object, right.object);
  const changed = rows.filter((r) => r.kind !== 'same').length;
  const [onlyChanges, setOnlyChanges] = useState(true);
  return (
    <div className="diff" data-testid="version-diff">
      <div className="toolbar">
        <strong>
          Version {left.version} → {right.version}
        </strong>
        <span className="muted">{changed} properties differ</span>
        <label className="small">
          <input
            type="checkbox"
            checked={onlyChanges}
            onChange={(e) => setOnlyChanges(e.target.checked)}
          />{' '}
          only differences
        </label>
      </div>
      <table className="records diff-table">
        <thead>
          <tr>
            <th>property</th>
            <th>version {left.version}</th>
            <th>version {right.version}</th>
          </tr>
        </thead>
        <tbody>
          {rows
            .filter((r) => !onlyChanges || r.kind !== 'same')
            .map((r) => (
              <tr key={r.property} className={`diff-${r.kind}`} data-kind={r.kind}>
                <th>{r.property}</th>
                <td className="break">
                  {r.kind === 'added' ? '' : formatProperty(r.property, r.left)}
                </td>
                <td className="break">
                  {r.kind === 'removed' ? '' : formatProperty(r.property, r.right)}
                </td>
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}

function History({ versions }: { versions: Version[] }) {
  const [params, setParams] = useSearchParams();
  const newest = versions[versions.length - 1]?.version;
  const from = Number(params.get('from') ?? versions[versions.length - 2]?.version ?? newest);
  const to = Number(params.get('to') ?? newest);
  const pick = (side: 'from' | 'to', version: number) => {
    const next = new URLSearchParams(params);
    next.set('tab', 'history');
    next.set(side, String(version));
    setParams(next);
  };
  const left = versions.find((v) => v.version === from);
  const right = versions.find((v) => v.version === to);
  return (
    <div>
      <table className="records" data-testid="versions">
        <thead>
          <tr>
            <th>version</th>
            <th>from</th>
            <th>until</th>
            <th>sync</th>
            <th>deleted</th>
            <th>compare</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version}>
              <td>{v.version}</td>
              <td>{formatTime(v.beginOn)}</td>
              <td>{formatTime(v.endOn)}</td>
              <td>
                <Link to={`/changes?sync=${v.syncId}`}>{v.syncId}</Link>
              </td>
              <td>{v.deleted ? 'yes' : ''}</td>
              <td>
                <label>
                  <input
                    type="radio"
                    name="from"
                    aria-label={`compare from version ${v.version}`}
                    checked={v.version === from}
                    onChange={() => pick('from', v.version)}
                  />{' '}
                  left
                </label>{' '}
                <label>
                  <input
                    type="radio"
                    name="to"
                    aria-label={`compare to version ${v.version}`}
                    checked={v.version === to}
                    onChange={() => pick('to', v.version)}
                  />{' '}
                  right
                </label>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {versions.length < 2 ? (
        <Empty>Only one version so far: it changes when a sync sees it change.</Empty>
      ) : left && right ? (
        <VersionDiff left={left} right={right} />
      ) : (
        <Empty>Pick two versions.</Empty>
      )}
    </div>
  );
}

function EntityView({ detail }: { detail: EntityDetail }) {
  const [params, setParams] = useSearchParams();
  const tab = (TABS as readonly string[]).includes(params.get('tab') ?? '')
    ? (params.get('tab') as Tab)
    : 'properties';
  const { entity } = detail;
  const neighbours = useAsync(() => api.neighbours(entity.id), [entity.id]);
  const versions = useAsync(() => api.versions(entity.id), [entity.id]);
  const metadata = {
    _id: entity.id,
    _key: entity.key,
    _type: entity.type,
    _class: entity.class,
    _version: entity.version,
    _createdOn: formatTime(entity.createdOn),
    _beginOn: formatTime(entity.beginOn),
    _deleted: entity.deleted,
    _source: entity.source,
    instance: entity.instance,
  };
  return (
    <div className="page">
      <h2 className="break">{entity.displayName ?? entity.key}</h2>
      <div className="muted">
        {entity.class.join(', ')} · {entity.type}
        {entity.deleted ? ' · deleted' : ''} ·{' '}
        <Link to={`/explorer?entity=${encodeURIComponent(entity.id)}`}>show in explorer</Link>
      </div>
      <Tabs tabs={TABS} current={tab} onChange={(t) => setParams({ tab: t })} />
      {tab === 'properties' && <PropertyTable record={{ ...metadata, ...detail.properties }} />}
      {tab === 'relationships' && (
        <Loaded state={neighbours}>{(n) => <Relationships neighbours={n.neighbours} />}</Loaded>
      )}
      {tab === 'raw' &&
        (detail.rawData.length === 0 ? (
          <Empty>No raw data was kept for this entity.</Empty>
        ) : (
          detail.rawData.map((r) => (
            <div key={r.name}>
              <h3>{r.name}</h3>
              <JsonView value={r.rawData} />
            </div>
          ))
        ))}
      {tab === 'history' && (
        <Loaded state={versions}>{(v) => <History versions={v.versions} />}</Loaded>
      )}
    </div>
  );
}

export function Entity() {
  const { id = '' } = useParams();
  const entity = useAsync(() => api.entity(id), [id]);
  return <Loaded state={entity}>{(e) => <EntityView detail={e} />}</Loaded>;
}
