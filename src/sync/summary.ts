import type { SyncRecord } from '../store/sync-record.js';
import { ExitCode } from '../util/exit-codes.js';

/**
 * The CLI contract: 0 committed with nothing protected; 3 committed with partial data or with
 * deletions held back; 1 failed.
 */
export function syncExitCode(record: SyncRecord): ExitCode {
  if (record.status === 'failed' || record.status === 'running') return ExitCode.FAILED;
  if (record.status === 'partial' || record.heldBack.length > 0) return ExitCode.PARTIAL;
  return ExitCode.OK;
}

/** The sync record as `sync --json` prints it: what the exit code means travels with it. */
export function syncDocument(record: SyncRecord): SyncRecord & {
  exitCode: ExitCode;
  deletionsHeldBack: boolean;
} {
  return {
    ...record,
    exitCode: syncExitCode(record),
    deletionsHeldBack: record.heldBack.length > 0,
  };
}

export interface SummaryTables {
  heading: string[];
  steps: { head: string[]; rows: (string | number)[][] };
  types: { head: string[]; rows: (string | number)[][] };
  heldBack: string[];
  apiCalls: string;
}

/** What a finished sync did, as lines and tables for a person. */
export function summarizeSync(record: SyncRecord): SummaryTables {
  const duration =
    record.durationMs !== undefined ? `${(record.durationMs / 1000).toFixed(1)} s` : 'running';
  const heading = [
    `sync #${record.id} of instance "${record.instanceName}": ${record.status} (${duration})`,
  ];
  if (record.error) heading.push(`error: ${record.error}`);
  if (record.status === 'partial')
    heading.push('committed with partial data: the types of failed steps were kept, not deleted');
  if (record.heldBack.length > 0)
    heading.push(
      'deletions held back: some unseen objects were kept (exit code 3); see held-back deletions below',
    );
  const totalCalls = Object.values(record.apiCalls).reduce((a, b) => a + b, 0);
  const endpoints = Object.entries(record.apiCalls)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([endpoint, n]) => `  ${endpoint}: ${n}`);
  return {
    heading,
    steps: {
      head: ['step', 'status', 'objects', 'API calls', 'seconds', 'reason'],
      rows: record.stepResults.map((s) => [
        s.id,
        s.status,
        Object.values(s.encounteredTypeCounts).reduce((a, b) => a + b, 0),
        s.apiCalls,
        s.durationMs !== undefined ? (s.durationMs / 1000).toFixed(1) : '',
        s.reason ?? '',
      ]),
    },
    types: {
      head: ['_type', 'created', 'updated', 'deleted'],
      rows: Object.entries(record.typeCounts)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([type, c]) => [type, c.created, c.updated, c.deleted]),
    },
    heldBack: record.heldBack.map(
      (h) => `${h.kind} ${h.type}: kept ${h.count} unseen: ${h.reason}`,
    ),
    apiCalls: [`API calls: ${totalCalls}`, ...endpoints].join('\n'),
  };
}
