import type { Entity, GraphObjectStore, GraphRelationship } from '../../graph/types.js';

/** Objects a step added, grouped by `_type`, in arrival order. */
export interface StepObjects {
  entities: Map<string, Entity[]>;
  relationships: Map<string, GraphRelationship[]>;
}

/** Keeps the whole run in memory: the base of `collect`'s on-disk output and of tests. */
export class MemoryGraphObjectStore implements GraphObjectStore {
  readonly steps = new Map<string, StepObjects>();
  private readonly entitiesByKey = new Map<string, Entity>();
  private readonly entitiesByType = new Map<string, Entity[]>();
  private readonly relationshipsByType = new Map<string, GraphRelationship[]>();

  async addEntities(stepId: string, entities: Entity[]): Promise<void> {
    const step = this.step(stepId);
    for (const entity of entities) {
      this.entitiesByKey.set(entity._key, entity);
      push(this.entitiesByType, entity._type, entity);
      push(step.entities, entity._type, entity);
    }
  }

  async addRelationships(stepId: string, relationships: GraphRelationship[]): Promise<void> {
    const step = this.step(stepId);
    for (const relationship of relationships) {
      push(this.relationshipsByType, relationship._type, relationship);
      push(step.relationships, relationship._type, relationship);
    }
  }

  async findEntity(key: string): Promise<Entity | undefined> {
    return this.entitiesByKey.get(key);
  }

  async iterateEntities(
    filter: { _type: string },
    each: (entity: Entity) => void | Promise<void>,
  ): Promise<void> {
    for (const entity of this.entitiesByType.get(filter._type) ?? []) await each(entity);
  }

  async iterateRelationships(
    filter: { _type: string },
    each: (relationship: GraphRelationship) => void | Promise<void>,
  ): Promise<void> {
    for (const relationship of this.relationshipsByType.get(filter._type) ?? [])
      await each(relationship);
  }

  async flush(): Promise<void> {}

  entities(type: string): Entity[] {
    return this.entitiesByType.get(type) ?? [];
  }

  relationships(type: string): GraphRelationship[] {
    return this.relationshipsByType.get(type) ?? [];
  }

  private step(stepId: string): StepObjects {
    let step = this.steps.get(stepId);
    if (!step) {
      step = { entities: new Map(), relationships: new Map() };
      this.steps.set(stepId, step);
    }
    return step;
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
