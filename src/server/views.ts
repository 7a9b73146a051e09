/**
 * Store records as API shapes (pure): what the UI needs of an entity, relationship, sync or
 * version, and nothing else (no raw lock holders, no instance ids where a name reads better).
 */
import type { z } from 'zod';
import type { ObjectVersion } from '../store/changes.js';
import type { EntityRecord, RelationshipRecord } from '../store/explore.js';
import type { SyncRecord } from '../store/sync-record.js';
import type {
  EntitySummary,
  RelationshipSummary,
  SyncDetail,
  SyncSummary,
  Version,
} from './schemas.js';

const displayName = (properties: Record<string, unknown>) =>
  typeof properties.displayName === 'string' ? { displayName: properties.displayName } : {};

export function entitySummary(entity: EntityRecord): z.infer<typeof EntitySummary> {
  return {
    id: entity.id,
    key: entity.key,
    type: entity.type,
    class: entity.classes,
    ...displayName(entity.properties),
    instance: entity.instanceName,
    deleted: entity.deleted,
  };
}

export function relationshipSummary(
  relationship: RelationshipRecord,
): z.infer<typeof RelationshipSummary> {
  return {
    id: relationship.id,
    key: relationship.key,
    type: relationship.type,
    class: relationship.class,
    fromKey: relationship.fromKey,
    toKey: relationship.toKey,
    ...displayName(relationship.properties),
    deleted: relationship.deleted,
  };
}

export function syncSummary(sync: SyncRecord): z.infer<typeof SyncSummary> {
  const counts = { created: 0, updated: 0, deleted: 0 };
  for (const typeCounts of Object.values(sync.typeCounts)) {
    counts.created += typeCounts.created;
    counts.updated += typeCounts.updated;
    counts.deleted += typeCounts.deleted;
  }
  return {
    id: sync.id,
    instance: sync.instanceName,
    status: sync.status,
    startedOn: sync.startedOn,
    ...(sync.endedOn !== undefined && { endedOn: sync.endedOn }),
    ...(sync.durationMs !== undefined && { durationMs: sync.durationMs }),
    counts,
    ...(sync.error !== undefined && { error: sync.error }),
  };
}

export function syncDetail(sync: SyncRecord): z.infer<typeof SyncDetail> {
  return {
    ...syncSummary(sync),
    stepResults: sync.stepResults.map((step) => ({
      id: step.id,
      name: step.name,
      status: step.status,
      dependsOn: step.dependsOn,
      apiCalls: step.apiCalls,
      ...(step.durationMs !== undefined && { durationMs: step.durationMs }),
      encounteredTypeCounts: step.encounteredTypeCounts,
      partialTypes: step.partialTypes,
      ...(step.reason !== undefined && { reason: step.reason }),
      ...(step.error && {
        error: {
          message: step.error.message,
          ...(step.error.code !== undefined && { code: String(step.error.code) }),
        },
      }),
    })),
    typeCounts: sync.typeCounts,
    apiCalls: sync.apiCalls,
    heldBack: sync.heldBack.map(({ kind, type, count, reason }) => ({ kind, type, count, reason })),
    partialTypes: sync.partialTypes.map(({ type, reason }) => ({ type, reason })),
  };
}

export function versionView(version: ObjectVersion): z.infer<typeof Version> {
  const { object } = version;
  return {
    version: Number(object._version),
    syncId: version.syncId,
    beginOn: Number(object._beginOn),
    ...(typeof object._endOn === 'number' && { endOn: object._endOn }),
    deleted: Boolean(object._deleted),
    object,
  };
}
