import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { InstanceConfig } from '../../config/instance-config.js';
import { ConfigError, loadConfig, selectInstance } from '../../config/load.js';
import type { IntegrationRunResult } from '../../graph/types.js';
import {
  STEP_DECLARATIONS,
  MemoryGraphObjectStore,
  runIntegration,
  writeJ1Layout,
} from '../../integration/index.js';
import { createMicrosoftClients } from '../../microsoft/index.js';
import { createLogger } from '../../util/logger.js';
import { createProgress } from '../../sync/progress.js';
import { UsageError } from '../../util/usage-error.js';
import { ExitCode } from '../../util/exit-codes.js';
import { printJson, printTable } from '../output.js';
import { configOption, instanceOption, jsonOption, outputIsStdout } from '../options.js';

/** Runs `load`, turning a configuration problem into a usage error (exit 2). */
export function configOrUsageError<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message, 'config');
    throw err;
  }
}

/** `--config` / `--instance` → one instance. */
export function loadCliInstance(options: { config?: string; instance?: string }): InstanceConfig {
  return configOrUsageError(() => {
    const config = loadConfig({ file: options.config });
    for (const warning of config.warnings) process.stderr.write(`warning: ${warning}\n`);
    return selectInstance(config, options.instance);
  });
}

export function registerCollect(program: Command): void {
  program
    .command('collect')
    .description(
      'Collect one instance from Microsoft Graph and Defender into JSON files (JupiterOne SDK on-disk layout)',
    )
    .addOption(configOption())
    .addOption(instanceOption('instance to collect (required when the file lists several)'))
    .requiredOption('-o, --output <dir>', 'folder to write graph/, index/ and summary.json into')
    .addOption(jsonOption('print the run result as JSON instead of tables'))
    .addHelpText(
      'after',
      "\nExit codes: 0 every step succeeded (or was disabled); 3 some step failed but others collected data\n(partial: the failed steps' types are listed); 1 nothing was collected; 2 bad flag or configuration.",
    )
    .action(
      async (options: {
        config?: string;
        instance?: string;
        output: string;
        json?: boolean;
        quiet?: boolean;
      }) => {
        outputIsStdout(options.output, { folder: 'collect' });
        const instance = loadCliInstance(options);
        const logger = createLogger();
        const progress = createProgress({ quiet: options.quiet });
        const clients = configOrUsageError(() =>
          createMicrosoftClients(instance, {
            logger,
            onPacing: (bucket, waitMs) => progress?.onProgress({ type: 'paced', bucket, waitMs }),
          }),
        );
        const store = new MemoryGraphObjectStore();
        let result: IntegrationRunResult;
        try {
          result = await runIntegration({
            instance,
            store,
            clients,
            logger,
            onProgress: progress?.onProgress,
          });
        } finally {
          progress?.stop();
          await clients.close();
        }
        const output = resolve(options.output);
        const { files } = await writeJ1Layout(output, store, result);
        process.exitCode = collectExitCode(result);
        if (options.json) {
          printJson({ output, files, exitCode: process.exitCode, ...result });
          return;
        }
        printRunSummary(result);
        process.stdout.write(`Wrote ${files} files to ${output}\n`);
      },
    );
}

export function collectExitCode(result: IntegrationRunResult): ExitCode {
  const collected = result.stepResults.some((r) => Object.keys(r.encounteredTypeCounts).length > 0);
  const failed = result.stepResults.some((r) => r.status === 'failure');
  if (!collected) return ExitCode.FAILED;
  return failed ? ExitCode.PARTIAL : ExitCode.OK;
}

const ENTITY_TYPES = new Set(STEP_DECLARATIONS.flatMap((s) => s.entities.map((e) => e._type)));

/** The per-step table, the partial types and, for a forbidden step, the permission to grant. */
export function printRunSummary(result: IntegrationRunResult): void {
  printTable(
    ['step', 'status', 'entities', 'relationships', 'API calls', 'duration'],
    result.stepResults.map((r) => {
      const counts = Object.entries(r.encounteredTypeCounts);
      const count = (entities: boolean) =>
        counts.filter(([t]) => ENTITY_TYPES.has(t) === entities).reduce((n, [, c]) => n + c, 0);
      return [
        r.id,
        r.status,
        count(true),
        count(false),
        r.apiCalls,
        r.durationMs === undefined ? '' : `${(r.durationMs / 1000).toFixed(1)} s`,
      ];
    }),
  );
  for (const r of result.stepResults.filter((s) => s.status !== 'success' && s.reason)) {
    process.stdout.write(`${r.id}: ${r.status}: ${r.reason}\n`);
  }
  if (result.partialDatasets.types.length > 0) {
    process.stdout.write(
      `Partial types (kept, not deleted): ${result.partialDatasets.types.join(', ')}\n`,
    );
  }
  const grants = new Set<string>();
  for (const { error } of result.stepResults) {
    if (error?.permission) {
      grants.add(
        `${error.api === 'graph' ? 'Microsoft Graph' : 'WindowsDefenderATP'} ${error.permission}`,
      );
    }
  }
  if (grants.size > 0) {
    process.stdout.write(
      `Grant these application permissions (with admin consent): ${[...grants].join(', ')}\n`,
    );
  }
}
