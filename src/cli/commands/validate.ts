import type { Command } from 'commander';
import { checkPermissions } from '../../integration/permissions.js';
import { createMicrosoftClients } from '../../microsoft/index.js';
import { createLogger } from '../../util/logger.js';
import { ExitCode } from '../../util/exit-codes.js';
import { printJson, printTable } from '../output.js';
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
      const missing = report.permissions.some((p) => p.granted !== true);
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
    });
}
