import type { Command } from 'commander';
import { checkPermissions } from '../../integration/permissions.js';
import { createMicrosoftClients } from '../../microsoft/index.js';
import { createLogger } from '../../util/logger.js';
import { ExitCode } from '../../util/exit-codes.js';
import { printJson, printTable } from '../output.js';
import { configOrUsageError, loadCliInstance } from './collect.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description(
      'Get both tokens and probe every permission the collector needs, with the cheapest call each',
    )
    .option(
      '-c, --config <file>',
      'instance configuration file (default: ./defender-graph.yaml, else AZURE_* variables)',
    )
    .option('-i, --instance <name>', 'instance to check (required when the file lists several)')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 everything granted; 4 a permission is missing (or could not be probed);\n1 a token cannot be obtained (the AADSTS code and its meaning are printed); 2 bad flag or configuration.',
    )
    .action(async (options: { config?: string; instance?: string; json?: boolean }) => {
      const instance = loadCliInstance(options);
      const logger = createLogger();
      const clients = configOrUsageError(() =>
        createMicrosoftClients(instance, { logger, retry: { maxRetries: 2 } }),
      );
      const report = await checkPermissions(instance, { clients }).finally(() => clients.close());
      const tokenFailed = report.tokens.some((t) => !t.ok);
      // A permission whose path is not taken (per-machine logon users under Advanced Hunting) loses nothing.
      const missing = report.permissions.some((p) => p.granted !== true && p.typesLost.length > 0);
      process.exitCode = tokenFailed
        ? ExitCode.FAILED
        : missing
          ? ExitCode.MISSING_PERMISSIONS
          : ExitCode.OK;
      if (options.json) {
        printJson({ ...report, exitCode: process.exitCode });
        return;
      }
      for (const token of report.tokens) {
        process.stdout.write(
          `${token.api === 'graph' ? 'Microsoft Graph' : 'Defender'} token: ${token.ok ? 'ok' : `FAILED: ${token.reason}`}\n`,
        );
      }
      printTable(
        ['permission', 'API', 'granted', 'lost without it'],
        report.permissions.map((p) => [
          p.permission,
          p.api === 'graph' ? 'Microsoft Graph' : 'WindowsDefenderATP',
          p.granted === true ? 'yes' : p.granted === false ? 'NO' : `unknown (${p.reason})`,
          p.typesLost.join(', '),
        ]),
      );
      for (const p of report.permissions.filter((check) => check.granted === false)) {
        process.stdout.write(`Missing: ${p.reason}\n`);
      }
      const paths = report.logonUsers;
      if (paths) {
        process.stdout.write(
          `Logon users: ${paths.path === 'advanced-hunting' ? 'Advanced Hunting' : 'per machine'} (${paths.reason}); ${paths.machines} machines, ${paths.sampledLogonUsers} logon users on the first\n`,
        );
        printTable(
          ['logon-user path', 'calls', 'least time at the quotas', 'taken'],
          paths.costs.map((c) => [
            c.path,
            String(c.calls),
            `${c.minutes} min`,
            c.path === paths.path ? 'yes' : '',
          ]),
        );
      } else if (report.logonUsersProblem) {
        process.stdout.write(`Logon-user path: unknown (${report.logonUsersProblem})\n`);
      }
    });
}
