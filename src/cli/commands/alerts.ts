import { userInfo } from 'node:os';
import type { Command } from 'commander';
import {
  ALERT_STATUSES,
  acknowledgeAlert,
  dismissAlert,
  getAlert,
  listAlerts,
  type AlertStatus,
} from '../../alerts/index.js';
import { withExistingStore } from '../../sync/command-support.js';
import { UsageError } from '../../util/usage-error.js';
import { printJson, printTable } from '../output.js';
import { dbOption, jsonOption } from '../options.js';

interface ListFlags {
  db?: string;
  json?: boolean;
  all?: boolean;
  status?: string;
  rule?: string;
  level?: string;
}

const time = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());

function alertId(value: string): number {
  const id = Number(value);
  if (!Number.isInteger(id) || id <= 0)
    throw new UsageError(`alert id must be a positive integer, got '${value}'`);
  return id;
}

export function registerAlerts(program: Command): void {
  const alerts = program
    .command('alerts')
    .description(
      'Open alerts (or all with --all); `alerts show ID`, `alerts ack ID --note`, `alerts dismiss ID --note`.',
    );
  // `alerts [flags]` is `alerts list [flags]`: the parent has no options, so each subcommand owns its --db.
  alerts
    .command('list', { isDefault: true })
    .description('Open alerts (or all with --all).')
    .addOption(dbOption())
    .option('--all', 'include resolved alerts')
    .option('--status <status>', `only this status (${ALERT_STATUSES.join(', ')})`)
    .option('--rule <rule>', 'only this rule (id or name)')
    .option('--level <level>', 'only this level (INFO, LOW, MEDIUM, HIGH, CRITICAL)')
    .addOption(jsonOption('print the alerts as JSON (times in epoch ms)'))
    .addHelpText('after', '\nExit codes: 0 listed; 1 store unreachable; 2 bad flag.')
    .action(async (flags: ListFlags) => {
      if (
        flags.status !== undefined &&
        !(ALERT_STATUSES as readonly string[]).includes(flags.status)
      )
        throw new UsageError(
          `--status must be one of ${ALERT_STATUSES.join(', ')}, got '${flags.status}'`,
        );
      const list = await withExistingStore(flags.db, (store) =>
        listAlerts(store, {
          open: !flags.all && flags.status !== 'resolved',
          status: flags.status as AlertStatus | undefined,
          rule: flags.rule,
          level: flags.level,
        }),
      );
      if (flags.json) return printJson(list);
      printTable(
        ['id', 'rule', 'level', 'status', 'opened', 'last seen', 'resolved', 'rows'],
        list.map((a) => [
          a.id,
          a.ruleName,
          a.level,
          a.status,
          time(a.openedOn),
          time(a.lastSeenOn),
          time(a.resolvedOn),
          a.resultSize,
        ]),
      );
    });

  alerts
    .command('show')
    .argument('<id>', 'alert id')
    .description('One alert with the rows that triggered it and its evaluations.')
    .addOption(dbOption())
    .addOption(jsonOption('print the alert as JSON'))
    .addHelpText('after', '\nExit codes: 0 shown; 1 store unreachable; 2 bad id; 5 no such alert.')
    .action(async (id: string, flags: { db?: string; json?: boolean }) => {
      const alert = await withExistingStore(flags.db, (store) => getAlert(store, alertId(id)));
      if (flags.json) return printJson(alert);
      const out = (line: string) => process.stdout.write(`${line}\n`);
      out(`alert ${alert.id}: ${alert.ruleName} [${alert.level}] ${alert.status}`);
      out(
        `opened ${time(alert.openedOn)}, last seen ${time(alert.lastSeenOn)}${alert.resolvedOn ? `, resolved ${time(alert.resolvedOn)}` : ''}`,
      );
      if (alert.note) out(`note (${alert.notedBy}, ${time(alert.notedOn)}): ${alert.note}`);
      for (const [query, rows] of Object.entries(alert.rows)) {
        out(`${query}: ${rows.length} row(s)`);
        for (const row of rows.slice(0, 20)) out(`  ${JSON.stringify(row)}`);
      }
      out(`${alert.evaluations.length} evaluation(s) while open`);
    });

  for (const [name, verdict] of [
    ['ack', acknowledgeAlert],
    ['dismiss', dismissAlert],
  ] as const)
    alerts
      .command(name)
      .argument('<id>', 'alert id')
      .description(
        name === 'ack'
          ? 'Acknowledge an open alert with a note (it stays open until its condition stops holding).'
          : 'Dismiss an open alert with a note (no more notifications until its condition stops holding).',
      )
      .requiredOption('--note <text>', 'why (kept on the alert)')
      .addOption(dbOption())
      .addOption(jsonOption('print the updated alert as JSON'))
      .addHelpText(
        'after',
        '\nExit codes: 0 done; 1 store unreachable; 2 bad id or empty note; 5 no such open alert.',
      )
      .action(async (id: string, flags: { db?: string; json?: boolean; note: string }) => {
        if (flags.note.trim() === '') throw new UsageError('--note must not be empty');
        const alert = await withExistingStore(flags.db, (store) =>
          verdict(store, alertId(id), flags.note, userInfo().username, Date.now()),
        );
        if (flags.json) return printJson(alert);
        process.stdout.write(`alert ${alert.id} ${alert.status}\n`);
      });
}
