import type { Command } from 'commander';
import { keyAndName, printJson, printTable, showChange } from '../output.js';
import { instanceIdOf, withExistingStore } from '../../sync/command-support.js';
import { diffProperties } from '../../store/changes.js';
import { METADATA_FIELDS } from '../../store/rows.js';
import type { PropertyValue } from '../../graph/types.js';
import { instanceOption, dbOption, jsonOption } from '../options.js';

interface HistoryFlags {
  instance?: string;
  db?: string;
  json?: boolean;
}

const time = (ms: PropertyValue | undefined) =>
  typeof ms === 'number' ? new Date(ms).toISOString() : '';

function withoutMetadata(object: Record<string, PropertyValue>): Record<string, PropertyValue> {
  const copy = { ...object };
  for (const field of METADATA_FIELDS) delete copy[field];
  return copy;
}

export function registerHistory(program: Command): void {
  program
    .command('history')
    .argument('<key>', 'the _key of an entity or relationship')
    .description(
      'Every version of one entity or relationship: when it began and ended, and what changed.',
    )
    .addOption(instanceOption('only this instance (when several hold the key)'))
    .addOption(dbOption())
    .addOption(jsonOption('print every version with all its properties as JSON'))
    .addHelpText(
      'after',
      '\nExit codes: 0 found, 1 no object with that key (or store unreachable), 2 bad flag.',
    )
    .action(async (key: string, flags: HistoryFlags) => {
      await withExistingStore(flags.db, async (store) => {
        const versions = await store.history(key, await instanceIdOf(store, flags.instance));
        if (versions.length === 0)
          throw new Error(`no entity or relationship with _key "${key}" in the store`);
        if (flags.json) return printJson(versions);
        const latest = versions[versions.length - 1]!.object;
        process.stdout.write(`${keyAndName(key, latest.displayName)}: ${String(latest._type)}\n`);
        printTable(
          ['version', 'sync', 'begin', 'end', 'deleted', 'changes'],
          versions.map((v, i) => {
            const previous = versions[i - 1]?.object;
            const sameObject = previous?._integrationInstanceId === v.object._integrationInstanceId;
            let changes: string;
            if (!previous || !sameObject) changes = 'first version';
            else if (v.object._deleted) changes = 'deleted';
            else if (previous._deleted) changes = 'back after deletion';
            else
              changes = diffProperties(withoutMetadata(previous), withoutMetadata(v.object))
                .map(showChange)
                .join('\n');
            return [
              v.object._version as number,
              v.syncId,
              time(v.object._beginOn),
              time(v.object._endOn),
              String(v.object._deleted),
              changes,
            ];
          }),
        );
      });
    });
}
