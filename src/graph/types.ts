/**
 * The JupiterOne-shaped graph objects every part exchanges. Converters produce them, the step
 * runner hands them to a GraphObjectStore, the store persists them, the query engine reads them.
 */

export type PropertyValue = string | number | boolean | null | string[] | number[] | boolean[];

export interface RawDataEntry {
  name: string;
  rawData: unknown;
}

export interface Entity {
  _key: string;
  _type: string;
  _class: string[];
  _rawData?: RawDataEntry[];
  [property: string]: PropertyValue | RawDataEntry[] | undefined;
}

export interface Relationship {
  _key: string;
  _type: string;
  /** One upper-case verb such as HAS, IS, MANAGES, IDENTIFIED. */
  _class: string;
  _fromEntityKey: string;
  _toEntityKey: string;
  _rawData?: RawDataEntry[];
  [property: string]: PropertyValue | RawDataEntry[] | undefined;
}

export type RelationshipDirection = 'FORWARD' | 'REVERSE';

export interface RelationshipMapping {
  relationshipDirection: RelationshipDirection;
  sourceEntityKey: string;
  /** Sets of property names that must all match on the target, e.g. [['_type','_key']]. */
  targetFilterKeys: string[][];
  targetEntity: Record<string, PropertyValue>;
  skipTargetCreation?: boolean;
}

export interface MappedRelationship {
  _key: string;
  _type: string;
  _class: string;
  _mapping: RelationshipMapping;
  [property: string]: PropertyValue | RelationshipMapping | undefined;
}

export type GraphRelationship = Relationship | MappedRelationship;

export function isMappedRelationship(r: GraphRelationship): r is MappedRelationship {
  return '_mapping' in r && r._mapping !== undefined;
}

/** Declarations are data: the step runner, the store's deletion rules and the docs read them. */
export interface EntityDeclaration {
  resourceName: string;
  _type: string;
  _class: string[];
  /** The step may emit only part of this type even on success: never delete unseen rows. */
  partial?: boolean;
}

export interface RelationshipDeclaration {
  _type: string;
  sourceType: string;
  _class: string;
  targetType: string;
  partial?: boolean;
}

export interface MappedRelationshipDeclaration extends RelationshipDeclaration {
  direction: RelationshipDirection;
  /** `_class` of the placeholder the mapper creates when no target matches; absent: never created. */
  targetClass?: string[];
}

/** Where a run's objects go: an in-memory/on-disk store for `collect`, SQL staging for `sync`. */
export interface GraphObjectStore {
  addEntities(stepId: string, entities: Entity[]): Promise<void>;
  addRelationships(stepId: string, relationships: GraphRelationship[]): Promise<void>;
  findEntity(key: string): Promise<Entity | undefined>;
  iterateEntities(
    filter: { _type: string },
    each: (entity: Entity) => void | Promise<void>,
  ): Promise<void>;
  iterateRelationships(
    filter: { _type: string },
    each: (relationship: GraphRelationship) => void | Promise<void>,
  ): Promise<void>;
  flush(): Promise<void>;
}

export type StepResultStatus =
  'success' | 'failure' | 'partial_success_due_to_dependency_failure' | 'disabled';

export interface StepError {
  /** A typed error's code, e.g. FORBIDDEN, THROTTLED, NETWORK. */
  code: string;
  message: string;
  /** For a 403: the application permission to grant. */
  permission?: string;
  api?: 'graph' | 'defender' | 'identity';
  endpoint?: string;
  status?: number;
}

export interface StepResult {
  id: string;
  name: string;
  dependsOn: string[];
  status: StepResultStatus;
  declaredTypes: string[];
  partialTypes: string[];
  encounteredTypes: string[];
  encounteredTypeCounts: Record<string, number>;
  /** Why the step did not succeed: its own error, the failed dependency, or the disabled source. */
  reason?: string;
  error?: StepError;
  apiCalls: number;
  startTime?: number;
  endTime?: number;
  durationMs?: number;
}

/** The graph the instance's last committed sync left: what an incremental run carries over. */
export interface PreviousGraph {
  /** Entities without raw data (unchanged rows keep theirs at commit). */
  iterateEntities(
    filter: { _type: string },
    each: (entity: Entity) => void | Promise<void>,
  ): Promise<void>;
  /** A relationship committed from a mapped one comes back as the direct one it resolved to. */
  iterateRelationships(
    filter: { _type: string },
    each: (relationship: GraphRelationship) => void | Promise<void>,
  ): Promise<void>;
}

/** What each step saved for the next sync (delta links, …), by step id. */
export type SyncState = Record<string, Record<string, string>>;

export type SyncMode = 'full' | 'incremental';

export interface IntegrationRunResult {
  instanceName: string;
  startedAt: number;
  finishedAt: number;
  stepResults: StepResult[];
  /** Types that must not be deleted this run: declared by failed/partial steps, or `partial`. */
  partialDatasets: { types: string[] };
  /** Types of disabled steps: also protected from deletion (our policy; the SDK leaves this open). */
  disabledTypes: string[];
  /** Requests sent per `API endpoint` label, retries included. */
  apiCalls: Record<string, number>;
  /** Set for a run into a store that keeps sync state (`sync`). */
  mode?: SyncMode;
  /** What the steps that succeeded saved for the next sync; the store keeps exactly this. */
  syncState?: SyncState;
}
