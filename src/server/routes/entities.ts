/** One entity or relationship at a time: properties, raw data, neighbours, versions, diffs. */
import { diffProperties } from '../../store/changes.js';
import type { EntityRecord } from '../../store/explore.js';
import type { GraphStore } from '../../store/index.js';
import { METADATA_FIELDS, type Properties } from '../../store/rows.js';
import { ApiError, notFound } from '../errors.js';
import type { ApiApp, RouteContext } from '../context.js';
import {
  Diff,
  DiffQuery,
  EntityDetail,
  IdOrKey,
  InstanceQuery,
  Neighbours,
  NeighboursQuery,
  RelationshipDetail,
  VersionList,
  errorResponses,
} from '../schemas.js';
import { entitySummary, relationshipSummary, versionView } from '../views.js';

/** Relationships listed on an entity page; the neighbours route pages through more. */
const PAGE_RELATIONSHIPS = 1000;

async function instanceIdOf(store: GraphStore, name: string | undefined) {
  if (name === undefined) return undefined;
  const instance = await store.findInstance(name);
  if (!instance) throw notFound(`instance "${name}"`);
  return instance.id;
}

async function entityOf(
  store: GraphStore,
  idOrKey: string,
  instance: string | undefined,
  rawData = false,
): Promise<EntityRecord> {
  const entity = await store.explorer.findEntity(idOrKey, {
    instanceId: await instanceIdOf(store, instance),
    rawData,
  });
  if (!entity) throw notFound(`entity "${idOrKey}"`);
  return entity;
}

async function entityVersions(store: GraphStore, entity: EntityRecord) {
  return (await store.history(entity.key, entity.instanceId))
    .filter((v) => v.kind === 'entity')
    .map(versionView);
}

/** What a reader compares: type, classes and properties, not the bookkeeping. */
function comparable(object: Record<string, unknown>): Properties {
  const copy = { ...object } as Properties;
  for (const field of METADATA_FIELDS) delete copy[field];
  return copy;
}

export function entityRoutes(app: ApiApp, ctx: RouteContext): void {
  const { store } = ctx;

  app.get(
    '/api/v1/entities/:idOrKey',
    {
      schema: {
        tags: ['entities'],
        summary: 'An entity by _id or _key: properties, raw data, relationships',
        params: IdOrKey,
        querystring: InstanceQuery,
        response: { 200: EntityDetail, ...errorResponses(404) },
      },
    },
    async (request) => {
      const entity = await entityOf(store, request.params.idOrKey, request.query.instance, true);
      const { neighbours, truncated } = await store.explorer.neighbours(entity, {
        limit: PAGE_RELATIONSHIPS,
      });
      const side = (direction: 'out' | 'in') =>
        neighbours
          .filter((n) => n.direction === direction)
          .map((n) => relationshipSummary(n.relationship));
      return {
        entity: {
          ...entitySummary(entity),
          version: entity.version,
          createdOn: entity.createdOn,
          beginOn: entity.beginOn,
          ...(entity.endOn !== undefined && { endOn: entity.endOn }),
          source: entity.source,
        },
        properties: entity.properties,
        rawData: entity.rawData ?? [],
        relationships: { out: side('out'), in: side('in'), truncated },
      };
    },
  );

  app.get(
    '/api/v1/entities/:idOrKey/neighbours',
    {
      schema: {
        tags: ['entities'],
        summary: 'Entities one relationship away, by entity class and relationship class',
        params: IdOrKey,
        querystring: NeighboursQuery.extend(InstanceQuery.shape),
        response: { 200: Neighbours, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { instance, class: entityClass, relationshipClass, limit } = request.query;
      const entity = await entityOf(store, request.params.idOrKey, instance);
      const { neighbours, truncated } = await store.explorer.neighbours(entity, {
        entityClass,
        relationshipClass,
        limit,
      });
      return {
        entity: entitySummary(entity),
        neighbours: neighbours.map((n) => ({
          direction: n.direction,
          relationship: relationshipSummary(n.relationship),
          entity: entitySummary(n.entity),
        })),
        truncated,
      };
    },
  );

  app.get(
    '/api/v1/entities/:idOrKey/versions',
    {
      schema: {
        tags: ['entities'],
        summary: 'Every version of an entity, oldest first',
        params: IdOrKey,
        querystring: InstanceQuery,
        response: { 200: VersionList, ...errorResponses(404) },
      },
    },
    async (request) => {
      const entity = await entityOf(store, request.params.idOrKey, request.query.instance);
      return { versions: await entityVersions(store, entity) };
    },
  );

  app.get(
    '/api/v1/entities/:idOrKey/diff',
    {
      schema: {
        tags: ['entities'],
        summary: 'What changed between two versions of an entity',
        params: IdOrKey,
        querystring: DiffQuery.extend(InstanceQuery.shape),
        response: { 200: Diff, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { from, to, instance } = request.query;
      const entity = await entityOf(store, request.params.idOrKey, instance);
      const versions = await entityVersions(store, entity);
      const find = (n: number, field: string) => {
        const version = versions.find((v) => v.version === n);
        if (!version)
          throw new ApiError(
            404,
            'not_found',
            `${field}: entity "${entity.key}" has no version ${n} (it has 1 to ${versions.length})`,
          );
        return version;
      };
      const before = find(from, 'from');
      const after = find(to, 'to');
      return {
        from: before,
        to: after,
        changes: diffProperties(comparable(before.object), comparable(after.object)),
      };
    },
  );

  app.get(
    '/api/v1/relationships/:idOrKey',
    {
      schema: {
        tags: ['entities'],
        summary: 'A relationship by _id or _key, with its two ends',
        params: IdOrKey,
        querystring: InstanceQuery,
        response: { 200: RelationshipDetail, ...errorResponses(404) },
      },
    },
    async (request) => {
      const relationship = await store.explorer.findRelationship(request.params.idOrKey, {
        instanceId: await instanceIdOf(store, request.query.instance),
      });
      if (!relationship) throw notFound(`relationship "${request.params.idOrKey}"`);
      const end = async (key: string) => {
        const entity = await store.explorer.findEntity(key, {
          instanceId: relationship.instanceId,
        });
        return entity && entitySummary(entity);
      };
      const from = await end(relationship.fromKey);
      const to = await end(relationship.toKey);
      return {
        relationship: {
          ...relationshipSummary(relationship),
          instance: relationship.instanceName,
          version: relationship.version,
        },
        properties: relationship.properties,
        ...(from && { from }),
        ...(to && { to }),
      };
    },
  );
}
