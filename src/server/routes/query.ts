/** J1QL over HTTP: run (with paging and a chosen shape), CSV download, and validate. */
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { checkQuery, queryIdentity, runQuery } from '../../query/engine.js';
import { NotSupportedError, QueryError, QuerySyntaxError } from '../../query/errors.js';
import {
  flatten,
  toCsv,
  type EntityResult,
  type QueryResult as EngineResult,
  type TreeEdge,
} from '../../query/results.js';
import type { GraphStore } from '../../store/index.js';
import { ApiError, queryApiError } from '../errors.js';
import type { ApiApp, RouteContext } from '../context.js';
import { decodeCursor, page } from '../query-paging.js';
import {
  QueryBody,
  QueryResult,
  ValidateBody,
  ValidateResult,
  errorResponses,
} from '../schemas.js';

type Body = z.infer<typeof QueryBody>;

/** Runs the query for rows [0, upTo): the engine's limit applies when the query has no LIMIT. */
async function run(store: GraphStore, body: Body, upTo: number): Promise<EngineResult> {
  try {
    return await runQuery(store, body.query, {
      params: body.params,
      includeDeleted: body.includeDeleted,
      defaultLimit: upTo,
    });
  } catch (err) {
    throw err instanceof QueryError ? queryApiError(err) : err;
  }
}

/** The live relationships among a list's entities, as JupiterOne's tree edges. */
async function edgesAmong(store: GraphStore, vertices: EntityResult[]): Promise<TreeEdge[]> {
  const ends = vertices.map((v) => ({
    vertexId: v.id,
    instanceId: String(v.entity._integrationInstanceId),
    key: String(v.entity._key),
  }));
  const vertexOf = new Map(ends.map((e) => [`${e.instanceId}\n${e.key}`, e.vertexId]));
  const relationships = await store.explorer.relationshipsAmong(ends);
  return relationships.map((r) => ({
    id: r.id,
    relationship: {
      _id: r.id,
      _key: r.key,
      _type: r.type,
      _class: r.class,
      _fromEntityKey: r.fromKey,
      _toEntityKey: r.toKey,
      _version: r.version,
      _deleted: r.deleted,
      _integrationInstanceId: r.instanceId,
      _integrationName: r.instanceName,
    },
    properties: r.properties,
    fromVertexId: vertexOf.get(`${r.instanceId}\n${r.fromKey}`)!,
    toVertexId: vertexOf.get(`${r.instanceId}\n${r.toKey}`)!,
  }));
}

/**
 * The result in the requested shape: a list can be a table (flattened) or a tree (its entities
 * and the relationships among them); a tree can be a list of its vertices.
 */
async function reshape(
  store: GraphStore,
  result: EngineResult,
  shape: Body['shape'],
): Promise<EngineResult> {
  if (shape === undefined || shape === result.type) return result;
  if (result.type === 'list' && shape === 'table')
    return { type: 'table', data: result.data.map(flatten) };
  if (result.type === 'list' && shape === 'tree')
    return {
      type: 'tree',
      data: { vertices: result.data, edges: await edgesAmong(store, result.data) },
    };
  if (result.type === 'tree' && shape === 'list')
    return { type: 'list', data: result.data.vertices };
  throw new ApiError(
    400,
    'shape_unavailable',
    `shape: a ${result.type} result cannot be shown as a ${shape}`,
  );
}

function rows(result: EngineResult): unknown[] {
  return result.type === 'tree' ? result.data.vertices : result.data;
}

export function queryRoutes(app: ApiApp, ctx: RouteContext): void {
  const { store } = ctx;

  app.post(
    '/api/v1/query',
    {
      schema: {
        tags: ['query'],
        summary: 'Run J1QL; `cursor` from the answer fetches the next page',
        body: QueryBody,
        response: { 200: QueryResult, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const body = request.body;
      // The engine's identity: a cursor the CLI printed pages on here (the shape only presents).
      const identity = queryIdentity(body.query, body);
      const offset = decodeCursor(body.cursor, identity);
      // One row more than the page tells whether another page follows.
      const result = await run(store, body, offset + body.limit + 1);
      const warnings = result.warnings && { warnings: result.warnings };
      if (result.type === 'tree') {
        const shaped = await reshape(store, result, body.shape);
        return { ...shaped, truncated: false, ...warnings } as z.infer<typeof QueryResult>;
      }
      const all = rows(result);
      const { items, cursor } = page(all, offset, body.limit, identity);
      const pageResult = { ...result, data: items } as EngineResult;
      const shaped = await reshape(store, pageResult, body.shape);
      return {
        ...shaped,
        truncated: cursor !== undefined,
        ...(cursor && { cursor }),
        ...warnings,
      } as z.infer<typeof QueryResult>;
    },
  );

  app.post(
    '/api/v1/query/csv',
    {
      schema: {
        tags: ['query'],
        summary: 'Run J1QL and download the list or table as CSV',
        body: QueryBody.omit({ cursor: true, shape: true }),
        produces: ['text/csv'],
        response: { ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const result = await run(store, request.body as Body, request.body.limit);
      if (result.type === 'tree')
        throw new ApiError(400, 'shape_unavailable', 'a RETURN TREE result has no CSV form');
      // CSV is text, not a JSON schema's instance: the untyped reply sends it as it is.
      return (reply as unknown as FastifyReply)
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="query.csv"')
        .send(toCsv(result));
    },
  );

  app.post(
    '/api/v1/j1ql/validate',
    {
      schema: {
        tags: ['query'],
        summary: "Check queries without running them (JupiterOne's /j1ql/validate)",
        body: ValidateBody,
        response: { 200: ValidateResult, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) =>
      request.body.queries.map((query) => {
        try {
          checkQuery(query);
          return { valid: true, query };
        } catch (err) {
          if (!(err instanceof QueryError)) throw err;
          const { error } = queryApiError(err).payload;
          const code =
            err instanceof QuerySyntaxError
              ? ('PARSER_ERROR' as const)
              : err instanceof NotSupportedError
                ? ('NOT_SUPPORTED' as const)
                : ('VALIDATION_ERROR' as const);
          return { valid: false, query, error: { ...error, code } };
        }
      }),
  );
}
