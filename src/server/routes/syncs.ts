/** Instances (last and next sync, run now) and syncs (records, step results, changes). */
import type { z } from 'zod';
import type { ChangeSet } from '../../store/changes.js';
import { ApiError, notFound } from '../errors.js';
import { requireAction } from '../auth/plugin.js';
import type { ApiApp, RouteContext } from '../context.js';
import { decodeCursor, page, resultIdentity } from '../query-paging.js';
import {
  ChangeList,
  ChangesQuery,
  InstanceList,
  InstanceName,
  SyncDetail,
  SyncId,
  SyncList,
  SyncListQuery,
  SyncRequested,
  errorResponses,
} from '../schemas.js';
import { syncDetail, syncSummary } from '../views.js';

type Change = z.infer<typeof ChangeList>['changes'][number];

/** Every change of a sync, created then updated then deleted, with the classes of its type. */
function changeRows(set: ChangeSet, classesOf: Map<string, string[]>): Change[] {
  const classes = (type: string) => classesOf.get(type) ?? [];
  return [
    ...set.created.map((c) => ({ change: 'created' as const, ...c })),
    ...set.updated.map((c) => ({ change: 'updated' as const, ...c })),
    ...set.deleted.map((c) => ({ change: 'deleted' as const, ...c })),
  ].map((c) => ({
    change: c.change,
    kind: c.kind,
    key: c.key,
    type: c.type,
    class: classes(c.type),
    version: c.version,
    ...('changes' in c && { properties: c.changes }),
  }));
}

/** Finished syncs never change: their classified changes are kept for the next pages. */
const CACHED_SYNCS = 4;

export function syncRoutes(app: ApiApp, ctx: RouteContext): void {
  const { store } = ctx;
  const cache = new Map<number, Change[]>();

  const changesOf = async (id: number, finished: boolean): Promise<Change[]> => {
    const cached = cache.get(id);
    if (cached) return cached;
    const rows = changeRows(await store.changes([id]), await store.explorer.typeClasses());
    if (finished) {
      cache.set(id, rows);
      if (cache.size > CACHED_SYNCS) cache.delete(cache.keys().next().value!);
    }
    return rows;
  };

  const knownInstance = async (name: string) =>
    ctx.configuredInstances.includes(name) || (await store.findInstance(name)) !== undefined;

  app.get(
    '/api/v1/instances',
    {
      schema: {
        tags: ['syncs'],
        summary: 'Configured and synced instances with their last and next sync',
        response: { 200: InstanceList },
      },
    },
    async () => {
      const stored = await store.instances();
      const names = [...new Set([...ctx.configuredInstances, ...stored.map((i) => i.name)])].sort();
      const instances = await Promise.all(
        names.map(async (name) => {
          const instance = stored.find((i) => i.name === name);
          const [last] = instance
            ? await store.listSyncs({ instanceId: instance.id, limit: 1 })
            : [];
          const next = await ctx.syncControl.nextSyncAt(name);
          return {
            name,
            ...(last && { lastSync: syncSummary(last) }),
            ...(next && { nextSyncAt: next.getTime() }),
            running: last?.status === 'running',
          };
        }),
      );
      return { instances };
    },
  );

  app.post(
    '/api/v1/instances/:name/sync',
    {
      onRequest: requireAction('sync.run'),
      schema: {
        tags: ['syncs'],
        summary: 'Run a sync of this instance now (admin)',
        params: InstanceName,
        response: { 202: SyncRequested, ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      if (!(await knownInstance(name))) throw notFound(`instance "${name}"`);
      reply.status(202);
      // A sync run by another process (a CLI sync, another server) holds the instance's lock.
      const instance = await store.findInstance(name);
      const [last] = instance ? await store.listSyncs({ instanceId: instance.id, limit: 1 }) : [];
      if (last?.status === 'running')
        return {
          queued: false,
          reason: `a sync of "${name}" is already running (sync ${last.id}, started ${new Date(last.startedOn).toISOString()})`,
        };
      return ctx.syncControl.requestSync(name);
    },
  );

  app.get(
    '/api/v1/syncs',
    {
      schema: {
        tags: ['syncs'],
        summary: 'Syncs, newest first',
        querystring: SyncListQuery,
        response: { 200: SyncList, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { instance, limit } = request.query;
      let instanceId: string | undefined;
      if (instance !== undefined) {
        const found = await store.findInstance(instance);
        if (!found) throw notFound(`instance "${instance}"`);
        instanceId = found.id;
      }
      return { syncs: (await store.listSyncs({ instanceId, limit })).map(syncSummary) };
    },
  );

  app.get(
    '/api/v1/syncs/:id',
    {
      schema: {
        tags: ['syncs'],
        summary: 'One sync: step results, API calls, held-back deletions and their reasons',
        params: SyncId,
        response: { 200: SyncDetail, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const sync = await store.getSync(request.params.id);
      if (!sync) throw notFound(`sync ${request.params.id}`);
      return syncDetail(sync);
    },
  );

  app.get(
    '/api/v1/syncs/:id/changes',
    {
      schema: {
        tags: ['syncs'],
        summary: 'What one sync created, updated (before → after) and deleted',
        params: SyncId,
        querystring: ChangesQuery,
        response: { 200: ChangeList, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { kind, type, class: className, cursor, limit } = request.query;
      const sync = await store.getSync(id);
      if (!sync) throw notFound(`sync ${id}`);
      const rows = (await changesOf(id, sync.status !== 'running')).filter(
        (c) =>
          (type === undefined || c.type === type) &&
          (className === undefined || c.class.includes(className)),
      );
      const counts = { created: 0, updated: 0, deleted: 0 };
      for (const row of rows) counts[row.change]++;
      const selected = kind === undefined ? rows : rows.filter((c) => c.change === kind);
      const identity = resultIdentity({ id, kind, type, className });
      const offset = decodeCursor(cursor, identity);
      if (offset > selected.length) throw new ApiError(400, 'bad_request', 'cursor: past the end');
      const { items, cursor: next } = page(selected, offset, limit, identity);
      return { counts, changes: items, ...(next && { cursor: next }) };
    },
  );
}
