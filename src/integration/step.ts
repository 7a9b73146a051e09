import type { InstanceConfig } from '../config/instance-config.js';
import type { Entity, GraphRelationship } from '../graph/types.js';
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
  /** Units of work done so far (machines, pages…) and the total when known. */
  progress(done: number, total?: number): void;
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
