import type { SyncRecord } from '../store/sync-record.js';
import { ExitCode } from '../cli/exit-codes.js';

/** The CLI contract: success 0, committed with partial data 3, failed 1. */
export function syncExitCode(record: SyncRecord): ExitCode {
  if (record.status === 'success') return ExitCode.OK;
  if (record.status === 'partial') return ExitCode.PARTIAL;
  return ExitCode.FAILED;
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
