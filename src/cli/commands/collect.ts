import { resolve } from 'node:path';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { InstanceConfig } from '../../config/instance-config.js';
import { ConfigError, loadConfig, selectInstance } from '../../config/load.js';
import type { IntegrationRunResult } from '../../graph/types.js';
import {
  STEP_DECLARATIONS,
  MemoryGraphObjectStore,
  runIntegration,
  writeJ1Layout,
  type ProgressEvent,
} from '../../integration/index.js';
import { createMicrosoftClients } from '../../microsoft/index.js';
import { createLogger } from '../../util/logger.js';
import { UsageError } from '../../util/usage-error.js';
import { ExitCode } from '../../util/exit-codes.js';
import { printJson, printTable } from '../output.js';

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
    .option(
      '-c, --config <file>',
      'instance configuration file (default: ./defender-graph.yaml, else AZURE_* variables)',
    )
    .option('-i, --instance <name>', 'instance to collect (required when the file lists several)')
    .requiredOption('-o, --output <dir>', 'folder to write graph/, index/ and summary.json into')
    .option('--json', 'print the run result as JSON instead of tables; no progress display')
    .addHelpText(
      'after',
      "\nExit codes: 0 every step succeeded (or was disabled); 3 some step failed but others collected data\n(partial: the failed steps' types are listed); 1 nothing was collected; 2 bad flag or configuration.",
    )
    .action(
      async (options: { config?: string; instance?: string; output: string; json?: boolean }) => {
        const instance = loadCliInstance(options);
        const logger = createLogger();
        const clients = configOrUsageError(() => createMicrosoftClients(instance, { logger }));
        const store = new MemoryGraphObjectStore();
        const progress = options.json || !process.stderr.isTTY ? undefined : new StepProgress();
        let result: IntegrationRunResult;
        try {
          result = await runIntegration({
            instance,
            store,
            clients,
            logger,
            onProgress: progress ? (e) => progress.update(e) : undefined,
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

/** One cli-progress bar per step on stderr (TTY only). */
class StepProgress {
  private readonly multibar = new MultiBar(
    {
      format:
        '{step} {bar} {done}/{total} | {status} | entities {entities} | relationships {relationships}',
      barsize: 16,
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
    },
    Presets.shades_grey,
  );
  private readonly bars = new Map<string, SingleBar>();

  update(event: ProgressEvent): void {
    if (event.type === 'step_start') {
      this.bars.set(
        event.stepId,
        this.multibar.create(0, 0, {
          step: event.stepId.padEnd(26),
          status: 'running',
          entities: 0,
          relationships: 0,
          done: 0,
        }),
      );
    } else if (event.type === 'step_progress') {
      const bar = this.bars.get(event.stepId);
      if (event.total !== undefined) bar?.setTotal(event.total);
      bar?.update(event.done ?? 0, {
        done: event.done ?? 0,
        entities: event.entities,
        relationships: event.relationships,
      });
    } else {
      const bar = this.bars.get(event.result.id);
      if (bar) bar.update({ status: event.result.status });
      else {
        this.multibar.create(0, 0, {
          step: event.result.id.padEnd(26),
          status: event.result.status,
          entities: 0,
          relationships: 0,
          done: 0,
        });
      }
    }
  }

  stop(): void {
    this.multibar.stop();
  }
}
