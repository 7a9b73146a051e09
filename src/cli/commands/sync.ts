import type { Command } from 'commander';
import { printJson, printTable } from '../output.js';
import { syncInstance } from '../../sync/run-sync.js';
import { createProgress } from '../../sync/progress.js';
import { summarizeSync, syncDocument, syncExitCode } from '../../sync/summary.js';
import { parseShare, withStore } from '../../sync/command-support.js';
import { loadCliInstance } from './collect.js';
import type { SyncRecord } from '../../store/sync-record.js';
import { createLogger } from '../../util/logger.js';
import { ExitCode } from '../../util/exit-codes.js';
import { configOption, instanceOption, dbOption, jsonOption } from '../options.js';

interface SyncFlags {
  config?: string;
  instance?: string;
  db?: string;
  json?: boolean;
  quiet?: boolean;
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

/** The failed sync record's error after Ctrl+C. */
const INTERRUPTED_REASON =
  'interrupted (Ctrl+C) before the sync committed; the previous graph was kept';

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description(
      'Collect one instance into the store and commit it: new objects created, changed ones versioned, vanished ones marked deleted (unless protected).',
    )
    .addOption(configOption())
    .addOption(instanceOption('instance to sync (required when the config has several)'))
    .addOption(dbOption())
    .option(
      '--max-delete-share <n>',
      'largest share (0..1) of a type that one sync may delete',
      '0.5',
    )
    .option(
      '--full',
      'a full reconcile: list everything again instead of the changes since the last sync',
    )
    .addOption(jsonOption('print the sync record as JSON instead of the summary'))
    .addHelpText(
      'after',
      '\nProgress goes to stderr. Exit codes: 0 committed, nothing protected; 1 failed (nothing committed); 2 bad flag or config; 3 committed with partial data or with deletions held back; 130 interrupted by Ctrl+C (nothing committed).',
    )
    .action(async (flags: SyncFlags) => {
      const maxDeleteShare = parseShare(flags.maxDeleteShare);
      const instance = loadCliInstance(flags);
      const progress = createProgress({ quiet: flags.quiet });
      const interrupt = new AbortController();
      const onSigint = () => {
        // A second Ctrl+C does not wait for the sync to be marked failed.
        if (interrupt.signal.aborted) process.exit(ExitCode.INTERRUPTED);
        interrupt.abort(INTERRUPTED_REASON);
      };
      process.on('SIGINT', onSigint);
      let record: SyncRecord;
      try {
        record = await withStore(flags.db, (store) =>
          syncInstance({
            instance,
            store,
            maxDeleteShare,
            full: flags.full,
            onProgress: progress?.onProgress,
            logger: createLogger(),
            signal: interrupt.signal,
          }),
        );
      } finally {
        process.off('SIGINT', onSigint);
        progress?.stop();
      }
      const interrupted = interrupt.signal.aborted && record.status === 'failed';
      if (interrupt.signal.aborted && !interrupted)
        process.stderr.write('interrupted during the commit, which finished: see the summary\n');
      if (flags.json)
        printJson({
          ...syncDocument(record),
          ...(interrupted ? { exitCode: ExitCode.INTERRUPTED } : {}),
        });
      else if (!interrupted) printSyncSummary(record);
      if (!interrupted) {
        process.exitCode = syncExitCode(record);
        return;
      }
      process.stderr.write('interrupted; nothing committed\n');
      // The collection may still have requests in flight: end now rather than wait for them.
      process.exit(ExitCode.INTERRUPTED);
    });
}
