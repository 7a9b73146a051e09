// Shapes of the HTTP API's answers as the UI reads them: a hand-kept mirror of the zod schemas in
// src/server/schemas.ts (contract: src/server/README-routes.md). Times are epoch milliseconds.

/** JupiterOne's query result item for an entity (`entity`) or an edge (`relationship`). */
export interface GraphObject {
  id: string;
  entity?: Record<string, unknown>;
  relationship?: Record<string, unknown>;
  properties: Record<string, unknown>;
}

export interface TreeEdge extends GraphObject {
  fromVertexId: string;
  toVertexId: string;
}

export type QueryShape = 'list' | 'table' | 'tree';

export type QueryData =
  | { type: 'list'; data: GraphObject[] }
  | { type: 'table'; data: Record<string, unknown>[] }
  | { type: 'tree'; data: { vertices: GraphObject[]; edges: TreeEdge[] } };

export type QueryResponse = QueryData & { cursor?: string; truncated: boolean };

export interface QueryRequest {
  query: string;
  params?: Record<string, string | number | boolean | (string | number | boolean)[]>;
  includeDeleted?: boolean;
  shape?: QueryShape;
  cursor?: string;
  limit?: number;
}

type Kind = 'entity' | 'relationship';

export interface Schema {
  types: { type: string; kind: Kind; count: number }[];
  classes: { class: string; kind: Kind; count: number }[];
  properties: { name: string; types: string[] }[];
}

export interface EntitySummary {
  id: string;
  key: string;
  type: string;
  class: string[];
  displayName?: string;
  instance: string;
  deleted: boolean;
}

export interface RelationshipSummary {
  id: string;
  key: string;
  type: string;
  class: string;
  fromKey: string;
  toKey: string;
  displayName?: string;
  deleted: boolean;
}

export interface ChangeCounts {
  created: number;
  updated: number;
  deleted: number;
}

export type SyncStatus = 'running' | 'success' | 'partial' | 'failed';

export interface SyncSummary {
  id: number;
  instance: string;
  status: SyncStatus;
  startedOn: number;
  endedOn?: number;
  durationMs?: number;
  counts: ChangeCounts;
  error?: string;
}

export interface StepResult {
  id: string;
  name: string;
  status: string;
  dependsOn: string[];
  apiCalls: number;
  durationMs?: number;
  encounteredTypeCounts: Record<string, number>;
  partialTypes: string[];
  reason?: string;
  error?: { code?: string; message: string };
}

export interface SyncDetail extends SyncSummary {
  stepResults: StepResult[];
  typeCounts: Record<string, ChangeCounts>;
  apiCalls: Record<string, number>;
  heldBack: { kind: Kind; type: string; count: number; reason: string }[];
  partialTypes: { type: string; reason: string }[];
}

export interface Instance {
  name: string;
  lastSync?: SyncSummary;
  nextSyncAt?: number;
  running: boolean;
}

export interface Overview {
  entityCount: number;
  relationshipCount: number;
  classes: { class: string; count: number }[];
  types: { type: string; kind: Kind; count: number }[];
  instances: { name: string; lastSync?: SyncSummary }[];
  openAlerts: number;
  riskiestMachines: {
    entity: EntitySummary;
    riskScore: string | null;
    exposureLevel: string | null;
    vulnerabilityCount: number;
  }[];
  newestCriticalCves: {
    entity: EntitySummary;
    publishedOn: number | null;
    cvssScore: number | null;
    machineCount: number;
  }[];
}

export type ChangeKind = 'created' | 'updated' | 'deleted';

export interface PropertyChange {
  property: string;
  before?: unknown;
  after?: unknown;
}

export interface Change {
  change: ChangeKind;
  kind: Kind;
  key: string;
  type: string;
  class: string[];
  displayName?: string;
  version: number;
  properties?: PropertyChange[];
}

export interface ChangeList {
  counts: ChangeCounts;
  changes: Change[];
  cursor?: string;
}

export interface EntityDetail {
  entity: EntitySummary & {
    version: number;
    createdOn: number;
    beginOn: number;
    endOn?: number;
    source: string;
  };
  properties: Record<string, unknown>;
  rawData: { name: string; rawData: unknown }[];
  relationships: { out: RelationshipSummary[]; in: RelationshipSummary[]; truncated: boolean };
}

export interface Neighbour {
  direction: 'out' | 'in';
  relationship: RelationshipSummary;
  entity: EntitySummary;
}

export interface Neighbours {
  entity: EntitySummary;
  neighbours: Neighbour[];
  truncated: boolean;
}

export interface Version {
  version: number;
  syncId: number;
  beginOn: number;
  endOn?: number;
  deleted: boolean;
  object: Record<string, unknown>;
}

export type AlertStatus = 'new' | 'ongoing' | 'acknowledged' | 'dismissed' | 'resolved';

export interface Alert {
  id: number;
  ruleId: string;
  ruleName: string;
  level: string;
  status: AlertStatus;
  openedOn: number;
  lastSeenOn: number;
  resolvedOn?: number;
  resultSize: number;
  note?: string;
  notedBy?: string;
  notedOn?: number;
}

export interface AlertDetail extends Alert {
  /** The rows that triggered it, per query, as of its last evaluation while open. */
  rows: Record<string, unknown[]>;
  evaluations: {
    id: number;
    trigger: string;
    startedOn: number;
    status: string;
    resultSize: number;
    conditionMet: boolean;
    error?: string;
  }[];
}

export interface User {
  name: string;
  role: 'viewer' | 'admin';
}

export interface Me {
  authenticated: boolean;
  authRequired: boolean;
  user?: User;
  csrfToken?: string;
}
