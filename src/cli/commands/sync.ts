import type { Command } from 'commander';
import { printJson, printTable } from '../output.js';
import { syncInstance } from '../../sync/run-sync.js';
import { stderrProgress } from '../../sync/progress.js';
import { summarizeSync, syncDocument, syncExitCode } from '../../sync/summary.js';
import { DB_OPTION_HELP, parseShare, withStore } from '../../sync/command-support.js';
import { loadCliInstance } from './collect.js';
import type { SyncRecord } from '../../store/sync-record.js';
import { createLogger } from '../../util/logger.js';

interface SyncFlags {
  config?: string;
  instance?: string;
  db?: string;
  json?: boolean;
  maxDeleteShare: string;
  full?: boolean;
}

export function printSyncSummary(record: SyncRecord): void {
  const summary = summarizeSync(record);
  const out = (text: string) => process.stdout.write(`${text}\n`);
  out(summary.heading.join('\n'));
  if (summary.steps.rows.length) printTable(summary.steps.head, summary.steps.rows);
  if (summary.types.rows.length) printTable(summary.types.head, summary.types.rows);
  else out('no changes to the graph');
  if (summary.heldBack.length)
    out(['held-back deletions:', ...summary.heldBack.map((l) => `  ${l}`)].join('\n'));
  out(summary.apiCalls);
}

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description(
      'Collect one instance into the store and commit it: new objects created, changed ones versioned, vanished ones marked deleted (unless protected).',
    )
    .option(
      '--config <file>',
      'instance configuration file (default ./defender-graph.yaml, else AZURE_* variables)',
    )
    .option('--instance <name>', 'instance to sync (required when the config has several)')
    .option('--db <url>', DB_OPTION_HELP)
    .option(
      '--max-delete-share <n>',
      'largest share (0..1) of a type that one sync may delete',
      '0.5',
    )
    .option(
      '--full',
      'a full reconcile: list everything again instead of the changes since the last sync',
    )
    .option('--json', 'print the sync record as JSON instead of the summary')
    .addHelpText(
      'after',
      '\nProgress goes to stderr. Exit codes: 0 committed, nothing protected; 1 failed (nothing committed); 2 bad flag or config; 3 committed with partial data or with deletions held back.',
    )
    .action(async (flags: SyncFlags) => {
      const maxDeleteShare = parseShare(flags.maxDeleteShare);
      const instance = loadCliInstance(flags);
      const record = await withStore(flags.db, (store) =>
        syncInstance({
          instance,
          store,
          maxDeleteShare,
          full: flags.full,
          onProgress: stderrProgress(),
          logger: createLogger(),
        }),
      );
      if (flags.json) printJson(syncDocument(record));
      else printSyncSummary(record);
      process.exitCode = syncExitCode(record);
    });
}
