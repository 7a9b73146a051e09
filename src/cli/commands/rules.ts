import type { Command } from 'commander';
import {
  evaluateRuleNow,
  importRules,
  listRules,
  loadRuleFile,
  setRuleEnabled,
} from '../../alerts/index.js';
import { existsSync } from 'node:fs';
import { monitoringSchema } from '../../config/instance-config.js';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../config/load.js';
import { withExistingStore, withStore } from '../../sync/command-support.js';
import { AlertNotFoundError } from '../../alerts/index.js';
import { printJson, printTable } from '../output.js';
import { configOrUsageError } from './collect.js';
import { configOption, dbOption, jsonOption } from '../options.js';

interface DbFlags {
  db?: string;
  json?: boolean;
}

const time = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());

export function registerRules(program: Command): void {
  const rules = program
    .command('rules')
    .description(
      'Alert rules: import JupiterOne rules, rule packs and change rules; list; enable or disable.',
    );

  rules
    .command('import')
    .argument(
      '<file>',
      'YAML or JSON: rule objects, [{instance: …}], rule-pack rules, change rules, questions.yaml',
    )
    .description('Add or replace rules (by name) and saved questions in the store.')
    .addOption(dbOption())
    .addOption(jsonOption('print {added, updated, unchanged, questions} as JSON'))
    .addHelpText(
      'after',
      '\nExit codes: 0 imported; 1 store unreachable; 2 a rule cannot load (the message names file, rule and field).',
    )
    .action(async (file: string, flags: DbFlags) => {
      const loaded = loadRuleFile(file);
      const summary = await withStore(flags.db, (store) => importRules(store, loaded, Date.now()));
      if (flags.json) return printJson(summary);
      process.stdout.write(
        `${summary.added.length} added, ${summary.updated.length} updated, ${summary.unchanged.length} unchanged, ${summary.questions} saved questions\n`,
      );
    });

  rules
    .command('list')
    .description('Every rule with its kind, state and last evaluation.')
    .addOption(dbOption())
    .addOption(jsonOption('print the rules (with their definitions) as JSON'))
    .action(async (flags: DbFlags) => {
      const all = await withExistingStore(flags.db, (store) => listRules(store));
      if (flags.json) return printJson(all);
      printTable(
        ['name', 'kind', 'enabled', 'last evaluated', 'status', 'error'],
        all.map((r) => [
          r.name,
          r.kind,
          r.enabled ? 'yes' : 'no',
          time(r.lastEvaluatedOn),
          r.lastStatus,
          r.lastError,
        ]),
      );
    });

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const)
    rules
      .command(name)
      .argument('<rule>', 'rule id or name')
      .description(`${enabled ? 'Enable' : 'Disable'} a rule (kept across imports).`)
      .addOption(dbOption())
      .addHelpText('after', '\nExit codes: 0 done; 1 store unreachable; 5 no such rule.')
      .action(async (rule: string, flags: DbFlags) => {
        const updated = await withExistingStore(flags.db, (store) =>
          setRuleEnabled(store, rule, enabled),
        );
        process.stdout.write(`rule ${updated.name} ${enabled ? 'enabled' : 'disabled'}\n`);
      });

  rules
    .command('run')
    .argument('<rule>', 'rule id or name')
    .description(
      'Evaluate one rule now on the committed graph (alerts and notifications as on schedule).',
    )
    .addOption(configOption('configuration file (its monitoring.params and webLink)'))
    .addOption(dbOption())
    .addOption(jsonOption('print the evaluation summary as JSON'))
    .addHelpText(
      'after',
      '\nExit codes: 0 evaluated; 1 the evaluation failed or the store is unreachable; 5 no such rule.',
    )
    .action(async (rule: string, flags: DbFlags & { config?: string }) => {
      // The config only brings params and the web link: without one, the defaults do.
      const monitoring =
        flags.config !== undefined || existsSync(DEFAULT_CONFIG_FILE)
          ? configOrUsageError(() => loadConfig({ file: flags.config })).monitoring
          : monitoringSchema.parse({});
      const summary = await withExistingStore(flags.db, (store) =>
        evaluateRuleNow(rule, { store, monitoring, now: () => Date.now() }),
      );
      if (!summary) throw new AlertNotFoundError(`no rule with id or name "${rule}"`);
      if (flags.json) printJson(summary);
      else
        process.stdout.write(
          `${summary.ruleName}: ${summary.status}${summary.error ? ` (${summary.error})` : ''}, ${summary.resultSize} rows, alert ${summary.alertId ?? 'none'} ${summary.alertStatus ?? ''}\n`,
        );
      if (summary.status === 'failed') process.exitCode = 1;
    });
}
