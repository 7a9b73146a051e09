import type { StepResult } from '../graph/types.js';
import type { ChangeCounts } from './commit.js';
import type { HeldBackDeletion, PartialType } from './protection.js';
import type { LockHolder } from './instance-lock.js';
import { parseJson } from './rows.js';
import { originalString } from './stored-json.js';

export type SyncStatus = 'running' | 'success' | 'partial' | 'failed';

/** One row of `syncs`: what a sync did, kept for `changes`, the summary and the UI. */
export interface SyncRecord {
  id: number;
  instanceId: string;
  instanceName: string;
  status: SyncStatus;
  startedOn: number;
  endedOn?: number;
  durationMs?: number;
  holder: LockHolder;
  maxDeleteShare: number;
  stepResults: StepResult[];
  /** Per `_type`: objects created, updated and marked deleted by the commit. */
  typeCounts: ChangeCounts;
  heldBack: HeldBackDeletion[];
  apiCalls: Record<string, number>;
  partialTypes: PartialType[];
  error?: string;
}

export interface SyncRow {
  id: number;
  instance_id: string;
  instance_name: string;
  status: SyncStatus;
  started_on: number;
  ended_on: number | null;
  holder: unknown;
  max_delete_share: number;
  step_results: unknown;
  type_counts: unknown;
  held_back: unknown;
  api_calls: unknown;
  partial_types: unknown;
  error: string | null;
}

export const SYNC_SELECT = `SELECT s.id, s.instance_id, i.name AS instance_name, s.status, s.started_on,
  s.ended_on, s.holder, s.max_delete_share, s.step_results, s.type_counts, s.held_back, s.api_calls,
  s.partial_types, s.error FROM syncs s JOIN instances i ON i.id = s.instance_id`;

export function syncFromRow(row: SyncRow): SyncRecord {
  const record: SyncRecord = {
    id: Number(row.id),
    instanceId: row.instance_id,
    instanceName: row.instance_name,
    status: row.status,
    startedOn: Number(row.started_on),
    holder: parseJson<LockHolder>(row.holder),
    maxDeleteShare: Number(row.max_delete_share),
    stepResults: parseJson<StepResult[] | null>(row.step_results) ?? [],
    typeCounts: parseJson<ChangeCounts | null>(row.type_counts) ?? {},
    heldBack: parseJson<HeldBackDeletion[] | null>(row.held_back) ?? [],
    apiCalls: parseJson<Record<string, number> | null>(row.api_calls) ?? {},
    partialTypes: parseJson<PartialType[] | null>(row.partial_types) ?? [],
  };
  if (row.ended_on !== null) {
    record.endedOn = Number(row.ended_on);
    record.durationMs = record.endedOn - record.startedOn;
  }
  if (row.error !== null) record.error = originalString(row.error);
  return record;
}
