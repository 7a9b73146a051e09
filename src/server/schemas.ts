/**
 * The HTTP API's request and response shapes, as zod schemas: Fastify validates requests and
 * serialises responses with them, and the OpenAPI document is generated from them, so the three
 * can never disagree.
 */
import { z } from 'zod';
import { ALERT_STATUSES } from '../alerts/lifecycle.js';
import { ALERT_LEVELS } from '../alerts/rule-format.js';
import { ROLES } from '../store/accounts.js';

const json = z.unknown();
const epochMs = z.number().describe('epoch milliseconds');

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      line: z.number().int().optional(),
      column: z.number().int().optional(),
    }),
  })
  .describe('Every error response');

export const Role = z.enum(ROLES);
export const UserView = z.object({ name: z.string(), role: Role });

export const Health = z.object({ status: z.literal('ok'), version: z.string() });
export const Ready = z.object({ status: z.literal('ready'), schemaVersion: z.number().int() });

export const LoginBody = z.object({
  username: z.string().min(1).max(200),
  password: z.string().min(1).max(1000),
});
export const LoginResult = z.object({ user: UserView, csrfToken: z.string() });
export const Me = z.object({
  authenticated: z.boolean(),
  authRequired: z.boolean(),
  user: UserView.optional(),
  csrfToken: z.string().optional(),
});
export const Ok = z.object({ ok: z.literal(true) });

export const EntitySummary = z.object({
  id: z.string(),
  key: z.string(),
  type: z.string(),
  class: z.array(z.string()),
  displayName: z.string().optional(),
  instance: z.string(),
  deleted: z.boolean(),
});

export const RelationshipSummary = z.object({
  id: z.string(),
  key: z.string(),
  type: z.string(),
  class: z.string(),
  fromKey: z.string(),
  toKey: z.string(),
  displayName: z.string().optional(),
  deleted: z.boolean(),
});

const ChangeCounts = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  deleted: z.number().int(),
});

export const SyncStatus = z.enum(['running', 'success', 'partial', 'failed']);

export const SyncSummary = z.object({
  id: z.number().int(),
  instance: z.string(),
  status: SyncStatus,
  startedOn: epochMs,
  endedOn: epochMs.optional(),
  durationMs: z.number().optional(),
  counts: ChangeCounts.describe('created, updated and deleted objects summed over types'),
  error: z.string().optional(),
});

export const SyncDetail = SyncSummary.extend({
  stepResults: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      status: z.string(),
      dependsOn: z.array(z.string()),
      apiCalls: z.number().int(),
      durationMs: z.number().optional(),
      encounteredTypeCounts: z.record(z.string(), z.number()),
      partialTypes: z.array(z.string()),
      reason: z.string().optional(),
      error: z.object({ code: z.string().optional(), message: z.string() }).optional(),
    }),
  ),
  typeCounts: z.record(z.string(), ChangeCounts),
  apiCalls: z.record(z.string(), z.number().int()).describe('requests per endpoint label'),
  heldBack: z
    .array(
      z.object({
        kind: z.enum(['entity', 'relationship']),
        type: z.string(),
        count: z.number().int(),
        reason: z.string(),
      }),
    )
    .describe('deletions the commit held back, and why'),
  partialTypes: z.array(z.object({ type: z.string(), reason: z.string() })),
});

export const InstanceView = z.object({
  name: z.string(),
  lastSync: SyncSummary.optional(),
  nextSyncAt: epochMs.optional(),
  running: z.boolean(),
});

export const InstanceList = z.object({ instances: z.array(InstanceView) });
export const InstanceName = z.object({ name: z.string().min(1) });
export const SyncRequested = z.object({ queued: z.boolean(), reason: z.string().optional() });

export const SyncListQuery = z.object({
  instance: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export const SyncList = z.object({ syncs: z.array(SyncSummary) });
export const SyncId = z.object({ id: z.coerce.number().int().min(1) });

export const ChangeKind = z.enum(['created', 'updated', 'deleted']);
export const ChangesQuery = z.object({
  kind: ChangeKind.optional(),
  type: z.string().optional(),
  class: z.string().optional(),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const PropertyChange = z.object({
  property: z.string(),
  before: json.optional(),
  after: json.optional(),
});
export const Change = z.object({
  change: ChangeKind,
  kind: z.enum(['entity', 'relationship']),
  key: z.string(),
  type: z.string(),
  class: z.array(z.string()),
  displayName: z.string().optional(),
  version: z.number().int(),
  properties: z.array(PropertyChange).optional(),
});
export const ChangeList = z.object({
  counts: ChangeCounts,
  changes: z.array(Change),
  cursor: z.string().optional(),
});

export const ParameterValue = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.array(z.union([z.string(), z.number(), z.boolean()])),
]);

export const QueryBody = z.object({
  query: z.string().min(1).max(100_000),
  params: z.record(z.string(), ParameterValue).default({}),
  includeDeleted: z.boolean().default(false),
  shape: z
    .enum(['list', 'table', 'tree'])
    .optional()
    .describe(
      "'tree' on a query without RETURN TREE also returns the relationships among the list",
    ),
  cursor: z.string().optional(),
  limit: z.number().int().min(1).max(5000).default(250),
});

const ResultEntity = z.object({
  id: z.string(),
  entity: z.record(z.string(), json),
  properties: z.record(z.string(), json),
});
const ResultEdge = z.object({
  id: z.string(),
  relationship: z.record(z.string(), json),
  properties: z.record(z.string(), json),
  fromVertexId: z.string(),
  toVertexId: z.string(),
});

/** Paging and warnings, the same on every result shape. */
const resultExtras = {
  cursor: z.string().optional(),
  truncated: z.boolean(),
  warnings: z
    .array(z.string())
    .optional()
    .describe(
      'names the store has never seen (a misspelt _type, _class or property), with the closest known',
    ),
};

export const QueryResult = z.discriminatedUnion('type', [
  z.object({ type: z.literal('list'), data: z.array(ResultEntity), ...resultExtras }),
  z.object({
    type: z.literal('table'),
    data: z.array(z.record(z.string(), json)),
    ...resultExtras,
  }),
  z.object({
    type: z.literal('tree'),
    data: z.object({ vertices: z.array(ResultEntity), edges: z.array(ResultEdge) }),
    ...resultExtras,
  }),
]);

export const ValidateBody = z.object({ queries: z.array(z.string()).min(1).max(250) });
export const ValidateResult = z.array(
  z.object({
    valid: z.boolean(),
    query: z.string(),
    error: z
      .object({
        message: z.string(),
        code: z.enum(['PARSER_ERROR', 'VALIDATION_ERROR', 'NOT_SUPPORTED']),
        line: z.number().int().optional(),
        column: z.number().int().optional(),
      })
      .optional(),
  }),
);

export const IdOrKey = z.object({ idOrKey: z.string().min(1) });
export const InstanceQuery = z.object({ instance: z.string().optional() });

export const EntityDetail = z.object({
  entity: EntitySummary.extend({
    version: z.number().int(),
    createdOn: epochMs,
    beginOn: epochMs,
    endOn: epochMs.optional(),
    source: z.string(),
  }),
  properties: z.record(z.string(), json),
  rawData: z.array(z.object({ name: z.string(), rawData: json })),
  relationships: z.object({
    out: z.array(RelationshipSummary),
    in: z.array(RelationshipSummary),
    truncated: z.boolean(),
  }),
});

export const NeighboursQuery = z.object({
  class: z.string().optional().describe('only neighbours of this entity _class'),
  relationshipClass: z.string().optional().describe('only relationships of this _class'),
  limit: z.coerce.number().int().min(1).max(5000).default(200),
});
export const Neighbours = z.object({
  entity: EntitySummary,
  neighbours: z.array(
    z.object({
      direction: z.enum(['out', 'in']),
      relationship: RelationshipSummary,
      entity: EntitySummary,
    }),
  ),
  truncated: z.boolean(),
});

export const Version = z.object({
  version: z.number().int(),
  syncId: z.number().int(),
  beginOn: epochMs,
  endOn: epochMs.optional(),
  deleted: z.boolean(),
  object: z.record(z.string(), json),
});
export const VersionList = z.object({ versions: z.array(Version) });
export const DiffQuery = z.object({
  from: z.coerce.number().int().min(1),
  to: z.coerce.number().int().min(1),
});
export const Diff = z.object({ from: Version, to: Version, changes: z.array(PropertyChange) });

export const RelationshipDetail = z.object({
  relationship: RelationshipSummary.extend({ instance: z.string(), version: z.number().int() }),
  properties: z.record(z.string(), json),
  from: EntitySummary.optional(),
  to: EntitySummary.optional(),
});

export const Overview = z.object({
  entityCount: z.number().int(),
  relationshipCount: z.number().int(),
  classes: z.array(z.object({ class: z.string(), count: z.number().int() })),
  types: z.array(
    z.object({
      type: z.string(),
      kind: z.enum(['entity', 'relationship']),
      count: z.number().int(),
    }),
  ),
  instances: z.array(z.object({ name: z.string(), lastSync: SyncSummary.optional() })),
  openAlerts: z.number().int(),
  riskiestMachines: z.array(
    z.object({
      entity: EntitySummary,
      riskScore: z.string().nullable(),
      exposureLevel: z.string().nullable(),
      vulnerabilityCount: z.number().int(),
    }),
  ),
  newestCriticalCves: z.array(
    z.object({
      entity: EntitySummary,
      publishedOn: epochMs.nullable(),
      cvssScore: z.number().nullable(),
      machineCount: z.number().int(),
    }),
  ),
});

export const GraphSchema = z.object({
  types: z.array(
    z.object({
      type: z.string(),
      kind: z.enum(['entity', 'relationship']),
      count: z.number().int(),
    }),
  ),
  classes: z.array(
    z.object({
      class: z.string(),
      kind: z.enum(['entity', 'relationship']),
      count: z.number().int(),
    }),
  ),
  properties: z.array(z.object({ name: z.string(), types: z.array(z.string()) })),
});

export const AlertStatus = z.enum(ALERT_STATUSES);
export const AlertLevel = z.enum(ALERT_LEVELS);

export const AlertListQuery = z.object({
  status: AlertStatus.optional(),
  rule: z.string().min(1).optional().describe('rule id or name'),
  level: z
    .string()
    .transform((level) => level.toUpperCase())
    .pipe(AlertLevel)
    .optional(),
  open: z
    .enum(['true', 'false'])
    .transform((open) => open === 'true')
    .default(true)
    .describe('only alerts not yet resolved (default), or every alert'),
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
});

export const AlertView = z.object({
  id: z.number().int(),
  ruleId: z.string(),
  ruleName: z.string(),
  level: z.string(),
  status: AlertStatus,
  openedOn: epochMs,
  lastSeenOn: epochMs,
  resolvedOn: epochMs.optional(),
  resultSize: z.number().int(),
  note: z.string().optional(),
  notedBy: z.string().optional(),
  notedOn: epochMs.optional(),
});
export const AlertList = z.object({ alerts: z.array(AlertView) });
export const AlertId = z.object({ id: z.coerce.number().int().min(1) });
export const AlertDetailView = AlertView.extend({
  rows: z
    .record(z.string(), z.array(json))
    .describe('the rows that triggered it, per query, as of its last evaluation while open'),
  evaluations: z.array(
    z.object({
      id: z.number().int(),
      trigger: z.string(),
      startedOn: epochMs,
      status: z.string(),
      resultSize: z.number().int(),
      conditionMet: z.boolean(),
      error: z.string().optional(),
    }),
  ),
});
export const AlertNoteBody = z.object({
  note: z.string().trim().min(1, 'a note is required').max(2000),
});

export const RuleView = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['query', 'change']),
  origin: z.string(),
  enabled: z.boolean(),
  importedOn: epochMs,
  lastEvaluatedOn: epochMs.optional(),
  lastStatus: z.string().optional(),
  lastError: z.string().optional(),
  definition: z
    .record(z.string(), json)
    .describe(
      'the rule object; delivery actions keep only their type (their fields may hold secrets)',
    ),
});
export const RuleList = z.object({ rules: z.array(RuleView) });
export const RuleId = z.object({ id: z.string().min(1).describe('rule id or name') });
export const RuleEnabledBody = z.object({ enabled: z.boolean() });

export const PeopleKey = z.object({ key: z.string().min(1) });
export const PeopleExplainQuery = z.object({
  instance: z.string().min(1).optional().describe('needed when the store holds several instances'),
});
export const PeopleExplanation = z
  .object({ kind: z.string(), key: z.string() })
  .loose()
  .describe(
    'what `people explain --json` prints: every rule tried, the values compared, the outcome',
  );

/** The error responses a route may answer with, for the OpenAPI document. */
export const errorResponses = (...statuses: (400 | 401 | 403 | 404 | 409 | 429 | 500 | 503)[]) =>
  Object.fromEntries(statuses.map((status) => [status, ErrorBody])) as Record<
    number,
    typeof ErrorBody
  >;
