import type { Command } from 'commander';
import { checkPermissions } from '../../integration/permissions.js';
import { createMicrosoftClients } from '../../microsoft/index.js';
import { createLogger } from '../../util/logger.js';
import { ExitCode } from '../../util/exit-codes.js';
import { outputWidth, printJson, printTable, wrap } from '../output.js';
import { configOrUsageError, loadCliInstance } from './collect.js';
import { configOption, instanceOption, jsonOption } from '../options.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description(
      'Get both tokens and probe every permission the collector needs, with the cheapest call each',
    )
    .addOption(configOption())
    .addOption(instanceOption('instance to check (required when the file lists several)'))
    .addOption(jsonOption('print the report as JSON'))
    .addHelpText(
      'after',
      '\nExit codes: 0 everything granted; 4 a permission is missing (or there was nothing to probe it with);\n1 a token cannot be obtained (the AADSTS code and its meaning are printed) or a check failed\n(network or server error); 2 bad flag or configuration.',
    )
    .action(async (options: { config?: string; instance?: string; json?: boolean }) => {
      const instance = loadCliInstance(options);
      const logger = createLogger();
      const clients = configOrUsageError(() =>
        createMicrosoftClients(instance, { logger, retry: { maxRetries: 2 } }),
      );
      const report = await checkPermissions(instance, { clients }).finally(() => clients.close());
      const tokenFailed = report.tokens.some((t) => !t.ok);
      const probeFailed = report.permissions.some((p) => p.probeFailed);
      // A permission whose path is not taken (per-machine logon users under Advanced Hunting) loses nothing.
      const missing = report.permissions.some((p) => p.granted !== true && p.typesLost.length > 0);
      // A check that could not run (network, server) is a failure, not a missing permission.
      process.exitCode =
        tokenFailed || probeFailed
          ? ExitCode.FAILED
          : missing
            ? ExitCode.MISSING_PERMISSIONS
            : ExitCode.OK;
      if (options.json) {
        printJson({ ...report, exitCode: process.exitCode });
        return;
      }
      const out = (text: string) => process.stdout.write(`${text}\n`);
      for (const token of report.tokens)
        out(
          `${token.api === 'graph' ? 'Microsoft Graph' : 'Defender'} token: ${token.ok ? 'ok' : `FAILED: ${token.reason}`}`,
        );
      printTable(
        ['permission', 'API', 'granted'],
        report.permissions.map((p) => [
          p.permission,
          apiName(p.api),
          p.granted === true ? 'yes' : p.granted === false ? 'NO' : 'unknown',
        ]),
      );
      const width = outputWidth();
      for (const p of report.permissions.filter((check) => check.granted !== true)) {
        const what = p.granted === false ? 'Missing' : 'Could not check';
        out(wrap(`${what}: ${apiName(p.api)} ${p.permission}: ${p.reason ?? ''}`, width));
        if (p.granted === false && p.typesLost.length > 0)
          out(
            wrap(
              `Not collected without it (the last sync's objects are kept): ${p.typesLost.join(', ')}`,
              width,
              '  ',
            ),
          );
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

const apiName = (api: 'graph' | 'defender') =>
  api === 'graph' ? 'Microsoft Graph' : 'WindowsDefenderATP';
