import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../util/usage-error.js';
import { ROSTER_FILE, writeEmulatorConfigFile } from '../../emulator/config-file.js';
import { startEmulator } from '../../emulator/server.js';
import { syncInstance } from '../../sync/run-sync.js';
import { lineProgress } from '../../sync/progress.js';
import { syncExitCode } from '../../sync/summary.js';
import { withStore } from '../../sync/command-support.js';
import { resolveStoreUrl } from '../../store/index.js';
import { createLogger } from '../../util/logger.js';
import { addTenantSizeOptions } from './emulator.js';
import { parsePort, serveUntilStopped } from './serve.js';
import { monitoringSchema } from '../../config/instance-config.js';
import { printSyncSummary } from './sync.js';
import { printResultTable } from './query.js';
import { runQuery } from '../../query/engine.js';
import type { QueryResult } from '../../query/results.js';
import { dbOption } from '../options.js';

interface DemoFlags {
  dataDir: string;
  db?: string;
  seed: string;
  users?: string;
  groups?: string;
  machines?: string;
  cves?: string;
  quotaScale: string;
  keepRunning?: boolean;
  serve?: boolean;
  port: string;
}

const DEMO_INSTANCE = 'demo';
const DEFAULT_DATA_DIR = './data/demo';
const DEFAULT_QUOTA_SCALE = '50';

/** The people finding that matters most: the roster says they left, the directory still lets them in. */
const DEPARTED_PEOPLE_QUERY =
  "FIND Person WITH employmentStatus = ('terminated' OR 'leave') AS p THAT IS User WITH active = true AS u RETURN p.displayName, p.employmentStatus, p.endDate, u.userPrincipalName";

function count(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 1_000_000)
    throw new UsageError(`--${flag} must be a whole number up to 1000000, got '${value}'`);
  return Number(value);
}

/** A word the shell passes on as it is: quoted unless plainly safe. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The flags this demo ran with (the defaults left out), so a suggested rerun is the same tenant. */
function demoArguments(flags: DemoFlags, db: string): string {
  const given: [string, string | undefined, string?][] = [
    ['--data-dir', flags.dataDir, DEFAULT_DATA_DIR],
    ['--db', db, resolveStoreUrl()],
    ['--seed', flags.seed, '1'],
    ['--users', flags.users],
    ['--groups', flags.groups],
    ['--machines', flags.machines],
    ['--cves', flags.cves],
    ['--quota-scale', flags.quotaScale, DEFAULT_QUOTA_SCALE],
  ];
  return given
    .filter(([, value, fallback]) => value !== undefined && value !== fallback)
    .map(([flag, value]) => ` ${flag} ${shellWord(value!)}`)
    .join('');
}

/**
 * Commands to paste as they are (`# …` comments included): each works on what this demo stored.
 * Syncing again goes through this demo's own config and instance, at its quota scale: another
 * emulator would be a second instance of the same tenant at real quotas.
 */
function nextSteps(
  flags: DemoFlags,
  db: string,
  configPath: string,
  keepRunning: boolean,
  exampleKey: { machine: string; person: string },
): string {
  const dbFlag = db === resolveStoreUrl() ? '' : ` --db ${shellWord(db)}`;
  const config = shellWord(configPath);
  return [
    '',
    'Where to look next (run these with npx, or node dist/cli/main.js):',
    `  defender-graph query "FIND microsoft_defender_machine THAT IDENTIFIED microsoft_defender_vulnerability WITH severity = 'critical' AND exploitable = true"${dbFlag}`,
    `  defender-graph query "FIND microsoft_defender_logon_user THAT !IS microsoft_defender_user"${dbFlag}   # logons no directory user explains`,
    `  defender-graph query "FIND HostAgent AS m RETURN m.osPlatform, COUNT(m)"${dbFlag}`,
    `  defender-graph people report${dbFlag}   # unmapped accounts, people without accounts, conflicts, departed people still active`,
    `  defender-graph people explain ${shellWord(exampleKey.person)}${dbFlag}   # every rule tried for one person's accounts`,
    `  defender-graph changes${dbFlag}   # what the last sync created, updated and deleted`,
    `  defender-graph history ${shellWord(exampleKey.machine)}${dbFlag}   # every version of one entity or relationship`,
    `  defender-graph export --format jsonl --output graph.jsonl${dbFlag}`,
    keepRunning
      ? `  defender-graph sync --config ${config}${dbFlag}   # from another terminal while this runs: syncs the tenant again into instance "${DEMO_INSTANCE}"`
      : `  defender-graph demo --keep-running${demoArguments(flags, db)}   # syncs the same tenant again and keeps it running; it then prints the sync command to run from another terminal`,
    '',
  ].join('\n');
}

function printDeparted(result: QueryResult): void {
  process.stdout.write(
    `\nPeople the roster says have left or are on leave, whose accounts are still enabled:\n  defender-graph query "${DEPARTED_PEOPLE_QUERY}"\n`,
  );
  printResultTable(result);
}

export function registerDemo(program: Command): void {
  const command = program
    .command('demo')
    .description(
      'Try it without a tenant: start the simulated tenant in this process, sync it into the store, and show what to look at next.',
    )
    .option(
      '--data-dir <dir>',
      "where the emulator's CA and the demo config are kept",
      DEFAULT_DATA_DIR,
    )
    .addOption(dbOption())
    .option('--seed <n>', 'seed of the simulated tenant', '1');
  addTenantSizeOptions(command)
    .option(
      '--quota-scale <x>',
      "multiplies the API quotas of the emulator and the collector's pacing alike",
      DEFAULT_QUOTA_SCALE,
    )
    .option('--keep-running', 'keep the simulated tenant running after the sync, until Ctrl+C')
    .option(
      '--serve',
      'then serve the web UI and API on 127.0.0.1 (the tenant keeps running for "Run now") until Ctrl+C',
    )
    .option('--port <n>', 'port of --serve', '8080')
    .addHelpText(
      'after',
      "\nWith --serve it ends by printing the web UI's URL and serving it until Ctrl+C.\nExit codes: 0 synced, 1 failed, 2 bad flag, 3 committed with partial data.",
    )
    .action(async (flags: DemoFlags) => {
      const quotaScale = Number(flags.quotaScale);
      if (!(quotaScale > 0))
        throw new UsageError(`--quota-scale must be a positive number, got '${flags.quotaScale}'`);
      const port = parsePort(flags.port);
      const dataDir = resolve(flags.dataDir);
      mkdirSync(dataDir, { recursive: true });
      const db = resolveStoreUrl(flags.db);
      const emulator = await startEmulator({
        dataDir: join(dataDir, 'emulator'),
        seed: count('seed', flags.seed),
        users: count('users', flags.users),
        groups: count('groups', flags.groups),
        machines: count('machines', flags.machines),
        cves: count('cves', flags.cves),
        quotaScale,
      });
      try {
        const instance = {
          ...emulator.instanceConfig(DEMO_INSTANCE),
          quotaScale,
          people: { roster: join(dataDir, ROSTER_FILE) },
        };
        // Valid while this emulator runs (its port changes per run).
        const configPath = writeEmulatorConfigFile(
          join(dataDir, 'defender-graph.yaml'),
          instance,
          'demo',
          emulator.tenant.roster(),
        );
        process.stderr.write(
          `simulated tenant ${emulator.tenantId} at ${emulator.url}; syncing into ${db}\n`,
        );
        const { record, exampleKey, departed } = await withStore(db, async (store) => {
          const synced = await syncInstance({
            instance,
            store,
            onProgress: lineProgress().onProgress,
            logger: createLogger(),
          });
          const [machine] = await store.read<{ key: string }>(
            "SELECT key FROM entities WHERE type = 'microsoft_defender_machine' ORDER BY key LIMIT 1",
            [],
          );
          const [person] = await store.read<{ key: string }>(
            "SELECT to_key AS key FROM relationships WHERE type = 'microsoft_defender_user_is_employee' AND deleted = FALSE ORDER BY to_key LIMIT 1",
            [],
          );
          return {
            record: synced,
            exampleKey: { machine: machine?.key ?? 'KEY', person: person?.key ?? 'KEY' },
            departed: await runQuery(store, DEPARTED_PEOPLE_QUERY),
          };
        });
        printSyncSummary(record);
        printDeparted(departed);
        const running = flags.keepRunning === true || flags.serve === true;
        process.stdout.write(nextSteps(flags, db, configPath, running, exampleKey));
        process.exitCode = syncExitCode(record);
        if (flags.serve) {
          await withStore(db, (store) =>
            serveUntilStopped(store, {
              config: {
                instances: [instance],
                warnings: [],
                monitoring: monitoringSchema.parse({}),
              },
              host: '127.0.0.1',
              port,
            }),
          );
        } else if (flags.keepRunning) {
          process.stdout.write(`simulated tenant running at ${emulator.url}; Ctrl+C stops it\n`);
          await new Promise<void>((done) => {
            process.once('SIGINT', done);
            process.once('SIGTERM', done);
          });
        }
      } finally {
        await emulator.close();
      }
    });
}
