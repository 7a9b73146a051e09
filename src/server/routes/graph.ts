/** The graph at a glance: the overview page and the vocabulary the query editor completes. */
import type { z } from 'zod';
import { runQuery } from '../../query/engine.js';
import type { GraphStore } from '../../store/index.js';
import type { ApiApp, RouteContext } from '../context.js';
import { GraphSchema, Overview } from '../schemas.js';
import { entitySummary, syncSummary } from '../views.js';
import { METADATA_FIELDS } from '../../store/rows.js';

const TOP = 10;
/** Defender's machine risk levels, riskiest first. */
const RISK_LEVELS = ['High', 'Medium', 'Low', 'Informational'];

const RISKY_MACHINES = `FIND microsoft_defender_machine WITH riskScore = \${risk} AS m
  THAT IDENTIFIED microsoft_defender_vulnerability AS v
  RETURN m._id AS id, COUNT(v) AS vulnerabilities ORDER BY vulnerabilities DESC LIMIT ${TOP}`;

const CRITICAL_CVES = `FIND microsoft_defender_vulnerability WITH severity = 'critical' AS v
  THAT IDENTIFIED microsoft_defender_machine AS m
  RETURN v._id AS id, v.publishedOn AS publishedOn, v.cvssScore AS cvssScore, COUNT(m) AS machines
  ORDER BY publishedOn DESC LIMIT ${TOP}`;

type OverviewBody = z.infer<typeof Overview>;

const numberOrNull = (value: unknown) => (typeof value === 'number' ? value : null);
const stringOrNull = (value: unknown) => (typeof value === 'string' ? value : null);

/** Machines with the highest risk level first, the most vulnerable first within a level. */
async function riskiestMachines(store: GraphStore): Promise<OverviewBody['riskiestMachines']> {
  const machines: OverviewBody['riskiestMachines'] = [];
  for (const risk of RISK_LEVELS) {
    if (machines.length >= TOP) break;
    const result = await runQuery(store, RISKY_MACHINES, { params: { risk } });
    if (result.type !== 'table') continue;
    for (const row of result.data.slice(0, TOP - machines.length)) {
      const entity = await store.explorer.findEntity(String(row.id));
      if (!entity) continue;
      machines.push({
        entity: entitySummary(entity),
        riskScore: stringOrNull(entity.properties.riskScore),
        exposureLevel: stringOrNull(entity.properties.exposureLevel),
        vulnerabilityCount: Number(row.vulnerabilities),
      });
    }
  }
  return machines;
}

async function newestCriticalCves(store: GraphStore): Promise<OverviewBody['newestCriticalCves']> {
  const result = await runQuery(store, CRITICAL_CVES);
  if (result.type !== 'table') return [];
  const cves: OverviewBody['newestCriticalCves'] = [];
  for (const row of result.data) {
    const entity = await store.explorer.findEntity(String(row.id));
    if (!entity) continue;
    cves.push({
      entity: entitySummary(entity),
      publishedOn: numberOrNull(row.publishedOn),
      cvssScore: numberOrNull(row.cvssScore),
      machineCount: Number(row.machines),
    });
  }
  return cves;
}

/** Property names change only with a sync; the scan behind them is worth keeping a little. */
const SCHEMA_TTL_MS = 30_000;

export function graphRoutes(app: ApiApp, ctx: RouteContext): void {
  const { store } = ctx;

  app.get(
    '/api/v1/overview',
    {
      schema: {
        tags: ['graph'],
        summary: 'Counts, last syncs, open alerts, riskiest machines, newest critical CVEs',
        response: { 200: Overview },
      },
    },
    async () => {
      const types = await store.explorer.typeCounts();
      const instances = await Promise.all(
        (await store.instances()).map(async (instance) => {
          const [last] = await store.listSyncs({ instanceId: instance.id, limit: 1 });
          return { name: instance.name, ...(last && { lastSync: syncSummary(last) }) };
        }),
      );
      const total = (kind: string) =>
        types.filter((t) => t.kind === kind).reduce((sum, t) => sum + t.count, 0);
      return {
        entityCount: total('entity'),
        relationshipCount: total('relationship'),
        classes: await store.explorer.classCounts(),
        types,
        instances,
        openAlerts: await ctx.openAlerts(),
        riskiestMachines: await riskiestMachines(store),
        newestCriticalCves: await newestCriticalCves(store),
      };
    },
  );

  let cached: { at: number; body: z.infer<typeof GraphSchema> } | undefined;
  app.get(
    '/api/v1/schema',
    {
      schema: {
        tags: ['graph'],
        summary: 'Known _type, _class and property names (for query completion)',
        response: { 200: GraphSchema },
      },
    },
    async () => {
      if (cached && Date.now() - cached.at < SCHEMA_TTL_MS) return cached.body;
      const metadata = ['_key', '_type', '_class', ...METADATA_FIELDS].map((name) => ({
        name,
        types: [name === '_deleted' ? 'boolean' : /On$|_version/.test(name) ? 'number' : 'string'],
      }));
      const body = {
        types: await store.explorer.typeCounts(),
        classes: [
          ...(await store.explorer.classCounts()).map((c) => ({ ...c, kind: 'entity' as const })),
          ...(await store.explorer.relationshipClassCounts()).map((c) => ({
            ...c,
            kind: 'relationship' as const,
          })),
        ],
        properties: [...metadata, ...(await store.explorer.propertyNames())],
      };
      cached = { at: Date.now(), body };
      return body;
    },
  );
}
