import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { printJson, printTable } from '../output.js';
import { UsageError } from '../../util/usage-error.js';
import { instanceIdOf, withExistingStore, withStore } from '../../sync/command-support.js';
import { DEFAULT_CONFIG_FILE } from '../../config/load.js';
import {
  explainPeople,
  importRoster,
  PeopleRulesError,
  reportPeople,
  RosterError,
  type Explanation,
  type PeopleReport,
} from '../../people/index.js';
import type { GraphStore } from '../../store/index.js';
import { loadCliInstance } from './collect.js';
import { configOption, instanceOption, dbOption, jsonOption } from '../options.js';

interface PeopleFlags {
  config?: string;
  instance?: string;
  rules?: string;
  db?: string;
  json?: boolean;
}

/** Bad roster or rules files are bad input: exit 2 with the file:line message. */
async function asUsage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof RosterError || err instanceof PeopleRulesError)
      throw new UsageError(err.message);
    throw err;
  }
}

/** The instance name and rules file: from the config when there is one, else from the flags. */
function target(flags: PeopleFlags): { name?: string; rules?: string } {
  if (flags.config || (!flags.instance && existsSync(DEFAULT_CONFIG_FILE))) {
    const instance = loadCliInstance(flags);
    return { name: instance.name, rules: flags.rules ?? instance.people?.rules };
  }
  return { name: flags.instance, rules: flags.rules };
}

async function instanceId(store: GraphStore, name: string | undefined): Promise<string> {
  const id = await instanceIdOf(store, name);
  if (id) return id;
  const known = await store.instances();
  if (known.length === 1) return known[0]!.id;
  throw new UsageError(
    known.length === 0
      ? 'nothing synced yet: run `defender-graph sync` first'
      : `several instances in the store (${known.map((i) => i.name).join(', ')}): pass --instance`,
  );
}

function commonOptions(command: Command): Command {
  return command
    .addOption(configOption('instance configuration file (its people.rules are used)'))
    .addOption(instanceOption('instance (required when the store or config has several)'))
    .option(
      '--rules <file>',
      'people rules file (default: the instance’s people.rules, else the built-in rules)',
    )
    .addOption(dbOption())
    .addOption(jsonOption('print JSON'));
}

function printExplanation(e: Explanation): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`${e.key}: ${e.kind}`);
  if (e.kind === 'account' || e.kind === 'logon user through its directory user') {
    if (e.kind === 'logon user through its directory user')
      out(`  directory user: ${e.directoryUser}`);
    const link = e.committedLink;
    out(
      link
        ? `  linked to ${link.person} (${link.personName}) on rule ${String(link.matchedOn)}, value ${String(link.matchedValue)}, confidence ${String(link.confidence)}`
        : '  not linked to any person',
    );
    const outcome = e.kind === 'account' ? e.outcome : e.directoryUserOutcome;
    if (!outcome) return;
    if (outcome.excluded) out(`  excluded: ${outcome.excluded}`);
    if (outcome.conflict)
      out(`  conflict on ${outcome.conflict.matchedOn}: ${outcome.conflict.personKeys.join(', ')}`);
    printTable(
      ['rule', 'priority', 'account property → person property', 'compared', 'found', 'outcome'],
      (outcome.trials ?? []).map((t) => [
        t.rule,
        t.priority,
        `${t.account} → ${t.person}`,
        t.compared.join('\n') || '(no value)',
        t.found.map((f) => `${f.value}: ${f.personKeys.join(', ')}`).join('\n'),
        t.outcome,
      ]),
    );
  } else if (e.kind === 'person') {
    out(
      `  ${String(e.person.displayName)} (${String(e.person.employmentStatus)}, from ${String(e.person.peopleSource)} ${String(e.person.sourceName)})`,
    );
    for (const a of e.accounts)
      out(
        `  account ${a.account}: rule ${String(a.matchedOn)}, value ${String(a.matchedValue)}, confidence ${String(a.confidence)}`,
      );
    if (e.accounts.length === 0) out('  no account is linked to this person');
    if (e.manager) out(`  manager: ${e.manager}`);
    if (e.manages.length) out(`  manages: ${e.manages.join(', ')}`);
    if (e.owns) out(`  owns: ${JSON.stringify(e.owns)}`);
  } else {
    out(`  device: ${e.device ?? '(none)'}`);
    for (const o of e.owners)
      out(`  owned by ${o.person} (${o.personName}): ${JSON.stringify(o.evidence)}`);
    if (e.owners.length === 0) out('  no owner');
    printTable(
      ['logon user', 'person', 'last seen', 'network only'],
      e.logons.map((l) => [l.logonUser, l.person, String(l.lastSeenOn ?? ''), l.networkOnly]),
    );
  }
}

function printReport(r: PeopleReport): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  printTable(
    [
      'people',
      'linked accounts',
      'unmapped human accounts',
      'people without account',
      'conflicts',
      'departed with enabled accounts',
      'logons after end date',
    ],
    [
      [
        r.counts.people,
        r.counts.linkedAccounts,
        r.counts.unmappedHumanAccounts,
        r.counts.peopleWithoutAccount,
        r.counts.conflicts,
        r.counts.departedWithEnabledAccounts,
        r.counts.logonsAfterEndDate,
      ],
    ],
  );
  if (r.departedWithEnabledAccounts.length) {
    out('Terminated or on-leave people whose accounts are still enabled:');
    printTable(
      ['person', 'name', 'status', 'end date', 'enabled account'],
      r.departedWithEnabledAccounts.map((d) => [
        d.person,
        d.name,
        String(d.employmentStatus),
        String(d.endDate ?? ''),
        d.account,
      ]),
    );
  }
  if (r.logonsAfterEndDate.length) {
    out('Their logons after their end date:');
    printTable(
      ['person', 'end date', 'logon user', 'machine', 'last seen'],
      r.logonsAfterEndDate.map((l) => [
        l.person,
        String(l.endDate ?? ''),
        l.logonUser,
        l.machine,
        l.lastSeenOn,
      ]),
    );
  }
  if (r.conflicts.length) {
    out('Conflicts (accounts matching several people; not linked):');
    printTable(
      ['account', 'rule', 'people', 'values'],
      r.conflicts.map((c) => [c.account, c.matchedOn, c.people.join('\n'), c.values.join('\n')]),
    );
  }
  if (r.unmappedHumanAccounts.length) {
    out('Unmapped human accounts:');
    printTable(
      ['account', 'name'],
      r.unmappedHumanAccounts.map((a) => [a.key, a.name]),
    );
  }
  if (r.peopleWithoutAccount.length) {
    out('People with no account:');
    printTable(
      ['person', 'name', 'status'],
      r.peopleWithoutAccount.map((p) => [p.key, p.name, String(p.employmentStatus ?? '')]),
    );
  }
}

export function registerPeople(program: Command): void {
  const people = program
    .command('people')
    .description(
      'Employees (Person): import a roster, explain how a key maps, report what does not.',
    );

  people
    .command('import')
    .argument('<file>', 'roster: .csv, .json, .yaml or .yml')
    .description(
      'Store a roster for the instance; the next sync maps accounts to it (unless the config names people.roster).',
    )
    .addOption(configOption('instance configuration file (names the instance)'))
    .addOption(instanceOption('instance the roster is for'))
    .addOption(dbOption())
    .addOption(jsonOption('print JSON'))
    .addHelpText(
      'after',
      '\nExit codes: 0 imported, 1 store unreachable, 2 bad flag or a roster row that cannot be read (file:line:column; nothing is stored).',
    )
    .action(async (file: string, flags: PeopleFlags) => {
      const { name } = target(flags);
      if (!name)
        throw new UsageError('pass --instance NAME (or --config FILE) to say whose roster this is');
      const imported = await asUsage(() =>
        withStore(flags.db, (store) => importRoster(store, name, file)),
      );
      if (flags.json) printJson({ instance: name, ...imported });
      else
        process.stdout.write(
          `imported ${imported.rows} people from ${imported.name} for instance "${name}"; the next sync maps them\n`,
        );
    });

  commonOptions(
    people
      .command('explain')
      .argument(
        '<key>',
        '_key of a directory user, logon user, person (employee) or machine/device',
      )
      .description(
        'Every rule tried for a key, the values compared, and why it linked or did not.',
      ),
  )
    .addHelpText(
      'after',
      '\nExit codes: 0 explained, 1 no such user, logon user, person or machine (or store unreachable), 2 bad flag, config or rules file.',
    )
    .action(async (key: string, flags: PeopleFlags) => {
      const { name, rules } = target(flags);
      const explanation = await asUsage(() =>
        withExistingStore(flags.db, async (store) =>
          explainPeople(store, await instanceId(store, name), rules, key),
        ),
      );
      if (!explanation)
        throw new Error(
          `no directory user, logon user, person or machine with _key "${key}" in the store`,
        );
      if (flags.json) printJson(explanation);
      else printExplanation(explanation);
    });

  commonOptions(
    people
      .command('report')
      .description(
        'Unmapped human accounts, people with no account, conflicts, and departed people whose accounts are still enabled or still log on.',
      ),
  )
    .addHelpText(
      'after',
      '\nExit codes: 0 reported, 1 store unreachable, 2 bad flag, config or rules file.',
    )
    .action(async (flags: PeopleFlags) => {
      const { name, rules } = target(flags);
      const report = await asUsage(() =>
        withExistingStore(flags.db, async (store) =>
          reportPeople(store, await instanceId(store, name), rules),
        ),
      );
      if (flags.json) printJson(report);
      else printReport(report);
    });
}
