import type { Command } from 'commander';
import { keyAndName, printJson, printTable, showChange } from '../output.js';
import { UsageError } from '../../util/usage-error.js';
import { instanceIdOf, parseDuration, withExistingStore } from '../../sync/command-support.js';
import type { GraphStore } from '../../store/index.js';
import type { SyncRecord } from '../../store/sync-record.js';
import type { ChangeSet, ObjectChange } from '../../store/changes.js';
import { instanceOption, dbOption, jsonOption } from '../options.js';

interface ChangesFlags {
  sync: string;
  since?: string;
  instance?: string;
  db?: string;
  json?: boolean;
  limit: string;
}

const COMMITTED = new Set(['success', 'partial']);

async function selectSyncs(store: GraphStore, flags: ChangesFlags): Promise<SyncRecord[]> {
  const instanceId = await instanceIdOf(store, flags.instance);
  if (flags.since !== undefined) {
    if (flags.sync !== 'latest') throw new UsageError('--sync and --since cannot be combined');
    const since = Date.now() - parseDuration('since', flags.since);
    const syncs = await store.listSyncs({ instanceId, since });
    return syncs.filter((s) => COMMITTED.has(s.status)).reverse();
  }
  if (flags.sync === 'latest') {
    const latest = (await store.listSyncs({ instanceId })).find((s) => COMMITTED.has(s.status));
    if (!latest) throw new Error('no committed sync yet: run `defender-graph sync` first');
    return [latest];
  }
  if (!/^\d+$/.test(flags.sync))
    throw new UsageError(`--sync must be a sync id or "latest", got '${flags.sync}'`);
  const record = await store.getSync(Number(flags.sync));
  if (!record || (instanceId && record.instanceId !== instanceId))
    throw new UsageError(
      `--sync ${flags.sync}: no such sync${flags.instance ? ` of instance "${flags.instance}"` : ''}`,
    );
  return [record];
}

function show<T extends ObjectChange>(
  title: string,
  items: T[],
  limit: number,
  line: (item: T) => string,
) {
  if (items.length === 0) return;
  const lines = items.slice(0, limit).map(line);
  if (items.length > limit) lines.push(`… and ${items.length - limit} more (use --json for all)`);
  process.stdout.write(`${title} (${items.length}):\n${lines.join('\n')}\n`);
}

function printChanges(syncs: SyncRecord[], changes: ChangeSet, limit: number): void {
  for (const s of syncs)
    process.stdout.write(
      `sync #${s.id} of "${s.instanceName}" (${s.status}), ${new Date(s.startedOn).toISOString()}\n`,
    );
  const byType = new Map<string, [number, number, number]>();
  const count = (items: ObjectChange[], i: 0 | 1 | 2) => {
    for (const c of items) {
      const entry = byType.get(c.type) ?? [0, 0, 0];
      entry[i]++;
      byType.set(c.type, entry);
    }
  };
  count(changes.created, 0);
  count(changes.updated, 1);
  count(changes.deleted, 2);
  if (byType.size === 0) {
    process.stdout.write('no changes\n');
    return;
  }
  printTable(
    ['_type', 'created', 'updated', 'deleted'],
    [...byType].sort(([a], [b]) => a.localeCompare(b)).map(([t, c]) => [t, ...c]),
  );
  show('created', changes.created, limit, (c) => `+ ${keyAndName(c.key, c.displayName)}`);
  show('updated', changes.updated, limit, (u) =>
    [`~ ${keyAndName(u.key, u.displayName)}`, ...u.changes.map((c) => `    ${showChange(c)}`)].join(
      '\n',
    ),
  );
  show('deleted', changes.deleted, limit, (c) => `- ${keyAndName(c.key, c.displayName)}`);
}

export function registerChanges(program: Command): void {
  program
    .command('changes')
    .description(
      'What syncs changed: objects created, updated (each changed property before and after) and deleted.',
    )
    .option('--sync <id|latest>', 'the sync to report', 'latest')
    .option(
      '--since <duration>',
      'every committed sync started within this long, e.g. 30m, 24h, 7d',
    )
    .addOption(instanceOption('only this instance'))
    .addOption(dbOption())
    .option('--limit <n>', 'objects listed per section in the human output', '50')
    .addOption(jsonOption('print the syncs and every change as JSON'))
    .addHelpText(
      'after',
      '\nExit codes: 0 reported, 1 nothing committed yet or store unreachable, 2 bad flag.',
    )
    .action(async (flags: ChangesFlags) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 0)
        throw new UsageError(`--limit must be a whole number, got '${flags.limit}'`);
      await withExistingStore(flags.db, async (store) => {
        await store.recoverInterruptedSyncs();
        const syncs = await selectSyncs(store, flags);
        const changes = await store.changes(syncs.map((s) => s.id));
        if (!flags.json) return printChanges(syncs, changes, limit);
        const names = new Map((await store.instances()).map((i) => [i.id, i.name]));
        const named = <T extends ObjectChange>({ instanceId, ...rest }: T) => ({
          ...rest,
          instance: names.get(instanceId),
        });
        printJson({
          syncs: syncs.map((s) => ({
            id: s.id,
            instance: s.instanceName,
            status: s.status,
            startedOn: s.startedOn,
            endedOn: s.endedOn,
          })),
          created: changes.created.map(named),
          updated: changes.updated.map(named),
          deleted: changes.deleted.map(named),
        });
      });
    });
}
