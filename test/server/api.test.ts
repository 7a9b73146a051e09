import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeReport, GroundTruth } from '../../src/emulator/tenant/types.js';
import { createMetrics, startHttpServer } from '../../src/server/index.js';
import { LocalSyncControl } from '../support/local-sync-control.js';
import type { RunningHttpServer } from '../../src/server/index.js';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { syncInstance } from '../../src/sync/run-sync.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { BACKENDS } from '../store/backends.js';
import {
  expectedChanges,
  keys,
  snapshotRelationships,
  type GraphSnapshot,
} from '../sync/expected-changes.js';
import { declaredTypes } from '../../src/integration/declarations.js';
import { PEOPLE_STEP } from '../../src/people/declarations.js';
import { ApiClient } from './client.js';

/** Types the people mapping writes: not among the tenant's own changes. */
const PEOPLE_TYPES = new Set(declaredTypes(PEOPLE_STEP));

interface Summary {
  id: string;
  key: string;
  type: string;
  class: string[];
  displayName?: string;
  instance: string;
}

interface ChangePage {
  counts: { created: number; updated: number; deleted: number };
  changes: { change: 'created' | 'updated' | 'deleted'; key: string; kind: string; type: string }[];
  cursor?: string;
}

interface ListResult {
  type: 'list';
  data: { id: string; entity: Record<string, unknown>; properties: Record<string, unknown> }[];
  cursor?: string;
  truncated: boolean;
}

describe.each(BACKENDS)('HTTP API over a synced emulator tenant on $name', (backend) => {
  let emulator: TestEmulator;
  let store: GraphStore;
  let db: { url: string; drop: () => Promise<void> };
  let server: RunningHttpServer;
  let control: LocalSyncControl;
  let api: ApiClient;
  let truth: GroundTruth;
  let report: ChangeReport;
  let before: GraphSnapshot;
  let after: GraphSnapshot;

  const snapshot = async () => snapshotRelationships(store, await emulator.truth());

  beforeAll(async () => {
    emulator = await startTestEmulator();
    db = await backend.create('api');
    store = await openGraphStore(db.url);
    await syncInstance({ instance: emulator.config, store });
    before = await snapshot();
    report = await emulator.advance();
    await syncInstance({ instance: emulator.config, store });
    after = await snapshot();
    truth = await emulator.truth({ lists: true });
    const metrics = createMetrics(store);
    control = new LocalSyncControl({
      instances: [emulator.config],
      store,
      onFinished: metrics.syncFinished,
    });
    server = await startHttpServer({
      store,
      syncControl: control,
      configuredInstances: [emulator.config.name],
      host: '127.0.0.1',
      port: 0,
      version: '0.1.0',
      metrics,
    });
    api = new ApiClient(server.url);
  });

  afterAll(async () => {
    await server?.close();
    await control?.close();
    await store?.close();
    await emulator?.close();
    await db?.drop();
  });

  const instanceName = () => emulator.config.name;

  it('answers health and readiness', async () => {
    expect((await api.get('/api/v1/health')).body).toEqual({ status: 'ok', version: '0.1.0' });
    const ready = await api.get<{ status: string }>('/api/v1/ready');
    expect(ready.body.status).toBe('ready');
  });

  it('counts the graph by class and type as the tenant holds it', async () => {
    const { body } = await api.get<{
      classes: { class: string; count: number }[];
      types: { type: string; kind: string; count: number }[];
      instances: { name: string; lastSync?: { id: number; status: string } }[];
      openAlerts: number;
      riskiestMachines: { riskScore: string; vulnerabilityCount: number; entity: Summary }[];
      newestCriticalCves: { machineCount: number; entity: Summary }[];
    }>('/api/v1/overview');
    const classCount = (name: string) => body.classes.find((c) => c.class === name)?.count;
    const typeCount = (name: string) => body.types.find((t) => t.type === name)?.count;
    expect(classCount('HostAgent')).toBe(truth.counts.machines);
    expect(classCount('UserGroup')).toBe(truth.counts.groups);
    expect(classCount('User')).toBe(truth.counts.users + truth.counts.logonUsers);
    expect(typeCount('microsoft_defender_machine_identified_vulnerability')).toBe(
      truth.counts.machineCvePairs,
    );
    expect(body.instances).toEqual([
      { name: instanceName(), lastSync: expect.objectContaining({ id: 2, status: 'success' }) },
    ]);
    expect(body.openAlerts).toBe(0);
    // Riskiest first: every High machine before any Medium one, most vulnerable first within.
    const pairsOf = (machineKey: string) =>
      truth.machineCvePairs!.filter((p) => keys.machine(p.machineId) === machineKey).length;
    expect(body.riskiestMachines.length).toBe(10);
    for (const machine of body.riskiestMachines)
      expect(machine.vulnerabilityCount).toBe(pairsOf(machine.entity.key));
    const ranks = body.riskiestMachines.map((m) => ['High', 'Medium', 'Low'].indexOf(m.riskScore));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    for (const cve of body.newestCriticalCves) {
      const cveId = cve.entity.key.split(':')[1]!;
      expect(cve.machineCount).toBe(truth.machineCvePairs!.filter((p) => p.cveId === cveId).length);
    }
  });

  it('lists the vocabulary for query completion', async () => {
    const { body } = await api.get<{
      types: { type: string }[];
      classes: { class: string; kind: string }[];
      properties: { name: string; types: string[] }[];
    }>('/api/v1/schema');
    expect(body.types.map((t) => t.type)).toContain('microsoft_defender_machine');
    expect(body.classes).toContainEqual(
      expect.objectContaining({ class: 'IDENTIFIED', kind: 'relationship' }),
    );
    expect(body.properties).toContainEqual({ name: 'riskScore', types: ['string'] });
    expect(body.properties).toContainEqual({ name: '_key', types: ['string'] });
  });

  it('lists instances and syncs, and one sync with its step results', async () => {
    const instances = await api.get<{ instances: { name: string; running: boolean }[] }>(
      '/api/v1/instances',
    );
    expect(instances.body.instances.map((i) => [i.name, i.running])).toEqual([
      [instanceName(), false],
    ]);
    const syncs = await api.get<{ syncs: { id: number }[] }>('/api/v1/syncs', {
      query: { instance: instanceName() },
    });
    expect(syncs.body.syncs.map((s) => s.id).slice(0, 2)).toEqual([2, 1]);
    const sync = await api.get<{
      stepResults: { id: string; status: string }[];
      heldBack: unknown[];
    }>('/api/v1/syncs/{id}', { params: { id: 2 } });
    expect(sync.body.stepResults.map((s) => s.id).sort()).toEqual(
      [
        'build-logon-user-is-user',
        'fetch-account',
        'fetch-groups',
        'fetch-logon-users',
        'fetch-machines',
        'fetch-users',
        'fetch-vulnerabilities',
        'map-people',
      ].sort(),
    );
    expect(sync.body.stepResults.every((s) => s.status === 'success')).toBe(true);
    expect((await api.get('/api/v1/syncs/{id}', { params: { id: 999 } })).status).toBe(404);
  });

  it("pages through a sync's changes and finds exactly what the tenant changed", async () => {
    const expected = expectedChanges(report, emulator.emulator.tenantId, before, after);
    const seen: ChangePage['changes'] = [];
    let counts: ChangePage['counts'] | undefined;
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await api.get<ChangePage>('/api/v1/syncs/{id}/changes', {
        params: { id: 2 },
        query: { limit: 7, cursor },
      });
      counts = res.body.counts;
      seen.push(...res.body.changes);
      cursor = res.body.cursor;
      pages++;
    } while (cursor);
    const countOf = (change: string) => seen.filter((c) => c.change === change).length;
    expect(counts).toEqual({
      created: countOf('created'),
      updated: countOf('updated'),
      deleted: countOf('deleted'),
    });
    // The collector's changes; the people mapping's own are checked in test/people/.
    const keysOf = (change: string) =>
      seen
        .filter((c) => c.change === change && !PEOPLE_TYPES.has(c.type))
        .map((c) => c.key)
        .sort();
    expect(keysOf('created')).toEqual(expected.created);
    expect(keysOf('updated')).toEqual(expected.updated);
    expect(keysOf('deleted')).toEqual(expected.deleted);
    expect(pages).toBe(Math.ceil(seen.length / 7));

    const machinesOnly = await api.get<ChangePage>('/api/v1/syncs/{id}/changes', {
      params: { id: 2 },
      query: { class: 'HostAgent', kind: 'updated', limit: 1000 },
    });
    expect(machinesOnly.body.changes.map((c) => c.key).sort()).toEqual(
      report.machines.updated.map((m) => keys.machine(m.id)).sort(),
    );
    const wrongCursor = await api.get('/api/v1/syncs/{id}/changes', {
      params: { id: 2 },
      query: { kind: 'created', cursor },
    });
    expect(wrongCursor.status).toBe(200);
  });

  it('runs J1QL with cursor paging beyond the first page', async () => {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await api.post<ListResult>('/api/v1/query', {
        body: { query: 'FIND HostAgent', limit: 15, cursor },
      });
      expect(res.status).toBe(200);
      expect(res.body.truncated).toBe(res.body.cursor !== undefined);
      ids.push(...res.body.data.map((d) => String(d.entity._key)));
      cursor = res.body.cursor;
    } while (cursor);
    expect(ids.sort()).toEqual(truth.machines!.map(keys.machine).sort());

    const first = await api.post<ListResult>('/api/v1/query', {
      body: { query: 'FIND HostAgent', limit: 15 },
    });
    const misused = await api.post<{ error: { code: string; message: string } }>('/api/v1/query', {
      body: { query: 'FIND Finding', limit: 15, cursor: first.body.cursor },
    });
    expect(misused.status).toBe(400);
    expect(misused.body.error.message).toMatch(/^cursor: /);
  });

  it('finds deleted entities only with includeDeleted', async () => {
    const gone = report.machines.offboarded.map(keys.machine).sort();
    expect(gone.length).toBeGreaterThan(0);
    const run = (includeDeleted: boolean) =>
      api.post<ListResult>('/api/v1/query', {
        body: { query: 'FIND HostAgent WITH _deleted = true', includeDeleted, limit: 1000 },
      });
    expect((await run(false)).body.data).toEqual([]);
    const deleted = (await run(true)).body.data;
    expect(deleted.map((d) => String(d.entity._key)).sort()).toEqual(gone);
    expect(deleted.every((d) => d.entity._deleted === true)).toBe(true);
  });

  it('runs parameterised table queries and shapes a list as a tree', async () => {
    const table = await api.post<{ type: string; data: { n: number }[] }>('/api/v1/query', {
      body: {
        query: 'FIND HostAgent WITH riskScore = ${risk} AS m RETURN COUNT(m) AS n',
        params: { risk: 'High' },
      },
    });
    expect(table.body.type).toBe('table');
    let high = 0;
    await store.iterate({ kind: 'entity' }, (object) => {
      if (object._type === 'microsoft_defender_machine' && object.riskScore === 'High') high++;
    });
    expect(high).toBeGreaterThan(0);
    expect(table.body.data).toEqual([{ n: high }]);

    const machine = keys.machine(truth.machines![0]!);
    const tree = await api.post<{
      type: string;
      data: {
        vertices: { id: string }[];
        edges: {
          relationship: Record<string, unknown>;
          fromVertexId: string;
          toVertexId: string;
        }[];
      };
    }>('/api/v1/query', {
      body: {
        query: `FIND (HostAgent|Finding) WITH _key = '${machine}' OR _type = 'microsoft_defender_vulnerability'`,
        shape: 'tree',
        limit: 1000,
      },
    });
    expect(tree.body.type).toBe('tree');
    const vertexIds = new Set(tree.body.data.vertices.map((v) => v.id));
    const cves = truth.machineCvePairs!.filter((p) => keys.machine(p.machineId) === machine);
    expect(tree.body.data.edges.map((e) => e.relationship._toEntityKey).sort()).toEqual(
      cves.map((p) => keys.vulnerability(p.cveId)).sort(),
    );
    for (const edge of tree.body.data.edges) {
      expect(vertexIds.has(edge.fromVertexId)).toBe(true);
      expect(vertexIds.has(edge.toVertexId)).toBe(true);
    }
  });

  it('puts J1QL errors at their line and column', async () => {
    const res = await api.post<{ error: { code: string; line: number; column: number } }>(
      '/api/v1/query',
      { body: { query: "FIND HostAgent\nWITH riskScore = = 'High'" } },
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'query_syntax', line: 2, column: 18 });
    const validated = await api.post<{ valid: boolean; error?: { code: string; line?: number } }[]>(
      '/api/v1/j1ql/validate',
      {
        body: {
          queries: [
            'FIND HostAgent THAT IDENTIFIED Finding',
            'FIND HostAgent WITH',
            'FIND x AS a RETURN b.c',
          ],
        },
      },
    );
    expect(validated.body.map((v) => [v.valid, v.error?.code])).toEqual([
      [true, undefined],
      [false, 'PARSER_ERROR'],
      [false, 'VALIDATION_ERROR'],
    ]);
    const bad = await api.post<{ error: { code: string; message: string } }>('/api/v1/query', {
      body: { query: 'FIND HostAgent', limit: 0 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('bad_request');
    expect(bad.body.error.message).toMatch(/limit/);
  });

  it('downloads a table as CSV', async () => {
    const res = await api.post('/api/v1/query/csv', {
      body: { query: 'FIND HostAgent AS m RETURN m._key AS key ORDER BY key' },
      raw: true,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.text.trim().split('\n')).toEqual([
      'key',
      ...truth.machines!.map(keys.machine).sort(),
    ]);
  });

  it('shows an entity with its properties, raw data, relationships and neighbours', async () => {
    const machineId = truth.machines![0]!;
    const key = keys.machine(machineId);
    const page = await api.get<{
      entity: Summary & { version: number };
      properties: Record<string, unknown>;
      rawData: { name: string; rawData: { id: string } }[];
      relationships: {
        out: { class: string; toKey: string }[];
        in: { class: string; fromKey: string }[];
      };
    }>('/api/v1/entities/{idOrKey}', { params: { idOrKey: key } });
    expect(page.status).toBe(200);
    expect(page.body.entity.key).toBe(key);
    expect(page.body.properties.id).toBe(machineId);
    expect(page.body.rawData[0]!.rawData.id).toBe(machineId);
    const cves = truth.machineCvePairs!.filter((p) => p.machineId === machineId);
    expect(
      page.body.relationships.out
        .filter((r) => r.class === 'IDENTIFIED')
        .map((r) => r.toKey)
        .sort(),
    ).toEqual(cves.map((p) => keys.vulnerability(p.cveId)).sort());
    expect(
      page.body.relationships.out.filter((r) => r.class === 'MANAGES').map((r) => r.toKey),
    ).toEqual([keys.device(machineId)]);
    expect(page.body.relationships.in.map((r) => r.fromKey)).toEqual([
      keys.account(emulator.emulator.tenantId),
    ]);

    const byId = await api.get<{ entity: Summary }>('/api/v1/entities/{idOrKey}', {
      params: { idOrKey: page.body.entity.id },
    });
    expect(byId.body.entity.key).toBe(key);

    const findings = await api.get<{
      neighbours: { direction: string; entity: Summary }[];
      truncated: boolean;
    }>('/api/v1/entities/{idOrKey}/neighbours', {
      params: { idOrKey: key },
      query: { class: 'Finding', relationshipClass: 'IDENTIFIED' },
    });
    expect(findings.body.neighbours.map((n) => n.entity.key).sort()).toEqual(
      cves.map((p) => keys.vulnerability(p.cveId)).sort(),
    );
    expect(findings.body.truncated).toBe(false);

    const relationshipKey = keys.rel(key, 'manages', keys.device(machineId));
    const relationship = await api.get<{
      relationship: { class: string };
      from: Summary;
      to: Summary;
    }>('/api/v1/relationships/{idOrKey}', { params: { idOrKey: relationshipKey } });
    expect(relationship.body.relationship.class).toBe('MANAGES');
    expect([relationship.body.from.key, relationship.body.to.key]).toEqual([
      key,
      keys.device(machineId),
    ]);

    const missing = await api.get<{ error: { code: string } }>('/api/v1/entities/{idOrKey}', {
      params: { idOrKey: 'no-such-key' },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });

  it("gives an updated machine's versions and the diff between them", async () => {
    // The emulator's field names are the entity's property names, except lastSeen (lastSeenOn).
    const property = (field: string) => (field === 'lastSeen' ? 'lastSeenOn' : field);
    const updated = report.machines.updated[0]!;
    const key = keys.machine(updated.id);
    const versions = await api.get<{
      versions: { version: number; syncId: number; object: Record<string, unknown> }[];
    }>('/api/v1/entities/{idOrKey}/versions', { params: { idOrKey: key } });
    expect(versions.body.versions.map((v) => [v.version, v.syncId])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    const diff = await api.get<{
      changes: { property: string; before?: unknown; after?: unknown }[];
    }>('/api/v1/entities/{idOrKey}/diff', { params: { idOrKey: key }, query: { from: 1, to: 2 } });
    const [older, newer] = versions.body.versions.map((v) => v.object);
    // `active` is healthStatus === 'Active': it changes when that comparison does.
    const isActive = (o: Record<string, unknown>) => o.healthStatus === 'Active';
    const activeFlipped = isActive(older!) !== isActive(newer!);
    const names = [...updated.fields.map(property), ...(activeFlipped ? ['active'] : [])];
    expect(diff.body.changes).toEqual(
      names.sort().map((name) => ({
        property: name,
        before: older![name],
        after: newer![name],
      })),
    );
    for (const change of diff.body.changes) expect(change.before).not.toEqual(change.after);
    const noVersion = await api.get('/api/v1/entities/{idOrKey}/diff', {
      params: { idOrKey: key },
      query: { from: 1, to: 9 },
    });
    expect(noVersion.status).toBe(404);
  });

  it('runs a sync now, once at a time, and counts it in the metrics', async () => {
    await api.fetchCsrf();
    const first = await api.post<{ queued: boolean }>('/api/v1/instances/{name}/sync', {
      params: { name: instanceName() },
    });
    const second = await api.post<{ queued: boolean; reason?: string }>(
      '/api/v1/instances/{name}/sync',
      { params: { name: instanceName() } },
    );
    expect([first.status, first.body.queued]).toEqual([202, true]);
    // Whether the first sync's record exists yet decides which guard answers; both refuse.
    expect(second.body.queued).toBe(false);
    expect(second.body.reason).toMatch(
      new RegExp(`^a sync of "${instanceName()}" is already running`),
    );
    await control.close();
    const syncs = await api.get<{ syncs: { id: number; status: string }[] }>('/api/v1/syncs');
    expect(syncs.body.syncs[0]).toMatchObject({ id: 3, status: 'success' });
    // A sync another process runs shows in the store: "Run now" refuses it too.
    const elsewhere = await store.beginSync(instanceName());
    const busy = await api.post<{ queued: boolean; reason: string }>(
      '/api/v1/instances/{name}/sync',
      { params: { name: instanceName() } },
    );
    expect(busy.body.queued).toBe(false);
    expect(busy.body.reason).toMatch(/is already running \(sync 4, started \d{4}-/);
    await elsewhere.fail(new Error('stopped by the test'));
    const unknown = await api.post('/api/v1/instances/{name}/sync', { params: { name: 'nope' } });
    expect(unknown.status).toBe(404);

    const metrics = await api.get('/metrics', { raw: true });
    expect(metrics.text).toContain(
      `defender_graph_objects{kind="entity",type="microsoft_defender_machine"} ${truth.counts.machines}`,
    );
    expect(metrics.text).toMatch(
      new RegExp(
        `defender_graph_sync_duration_seconds_count\\{instance="${instanceName()}",status="success"\\} 1`,
      ),
    );
    expect(metrics.text).toMatch(
      /defender_graph_api_calls_total\{instance="[^"]+",endpoint="[^"]+"\} \d+/,
    );
  });

  it('never puts a secret in a response', async () => {
    await api.get('/api/openapi.json', { raw: true });
    const secret = emulator.config.clientSecret!;
    expect(secret.length).toBeGreaterThan(8);
    for (const text of api.seen) expect(text.includes(secret)).toBe(false);
  });
});
