import type { InstanceConfig } from '../config/instance-config.js';
import type { Entity, GraphRelationship, PreviousGraph } from '../graph/types.js';
import type { DefenderClient } from '../microsoft/defender-client.js';
import type { GraphClient } from '../microsoft/graph-client.js';
import type { Logger } from '../util/logger.js';
import type { StepDeclaration } from './declarations.js';

/** What a step may touch: the clients, and the run's graph through `jobState`. */
export interface StepContext {
  instance: InstanceConfig;
  graph: GraphClient;
  defender: DefenderClient;
  jobState: JobState;
  logger?: Logger;
  /** Set when the run feeds a store that keeps sync state (`sync`; `collect` keeps none). */
  changes?: StepChanges;
  /** Units of work done so far (machines, pages…) and the total when known. */
  progress(done: number, total?: number): void;
}

/** An incremental run's view for one step, and where the step leaves state for the next run. */
export interface StepChanges {
  /**
   * The previous graph and what this step saved at the last committed sync; undefined when this
   * step runs in full (a full reconcile, or nothing saved: first sync, or it did not succeed).
   */
  since?: { previous: PreviousGraph; state: Record<string, string> };
  /** Kept for the next sync only if this step succeeds and the run commits. */
  save(state: Record<string, string>): void;
}

export interface JobState {
  addEntities(entities: Entity[]): Promise<void>;
  addRelationships(relationships: GraphRelationship[]): Promise<void>;
  findEntity(key: string): Promise<Entity | undefined>;
  iterateEntities(
    filter: { _type: string },
    each: (entity: Entity) => void | Promise<void>,
  ): Promise<void>;
}

export interface IntegrationStep extends StepDeclaration {
  executionHandler(context: StepContext): Promise<void>;
}
