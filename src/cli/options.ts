/**
 * The options several commands share, defined once so that `-c`/`--config`, `-i`/`--instance`,
 * `--db`, `--json` and `-o`/`--output` read the same everywhere; the logging options go on every
 * command.
 */
import { Command, Option } from 'commander';
import { DB_OPTION_HELP } from '../sync/command-support.js';
import { configureLogging, LOG_FORMATS, type LogFormat } from '../util/logger.js';
import { UsageError } from '../util/usage-error.js';

export const configOption = (
  description = 'instance configuration file (default: ./defender-graph.yaml, else AZURE_* variables)',
) => new Option('-c, --config <file>', description);

export const instanceOption = (description: string) =>
  new Option('-i, --instance <name>', description);

export const dbOption = () => new Option('--db <url>', DB_OPTION_HELP);

export const jsonOption = (description: string) => new Option('--json', description);

/** `-` writes to stdout (the commands that write a folder refuse it). */
export const outputOption = (description: string) =>
  new Option('-o, --output <path>', `${description}; - for stdout`).makeOptionMandatory();

const STDOUT = '-';

/**
 * `--output -`: checks it can mean stdout here (not for a folder, not with `--json`, which prints
 * there too) and says whether it does.
 */
export function outputIsStdout(
  output: string,
  options: { json?: boolean; folder?: string },
): boolean {
  if (output !== STDOUT) return false;
  if (options.folder)
    throw new UsageError(
      `--output -: ${options.folder} writes a folder, not one stream: give a folder`,
    );
  if (options.json)
    throw new UsageError('--output - and --json both write to stdout: leave out one of them');
  return true;
}

interface LoggingFlags {
  quiet?: boolean;
  verbose?: boolean;
  logFormat?: LogFormat;
}

function addLoggingOptions(command: Command): void {
  command
    .addOption(
      new Option('-q, --quiet', 'errors only: no progress display, no warnings').conflicts(
        'verbose',
      ),
    )
    .addOption(new Option('-v, --verbose', 'debug logging (overrides DEFENDER_GRAPH_LOG_LEVEL)'))
    .addOption(
      new Option(
        '--log-format <format>',
        'logs on stderr: auto = readable on a terminal, JSON lines otherwise',
      )
        .choices(LOG_FORMATS)
        .default('auto'),
    );
}

/** Every command that runs something (a leaf) gets the logging options; they apply before it runs. */
export function addCommonOptions(program: Command): void {
  const leaves = (command: Command): Command[] =>
    command.commands.length === 0 ? [command] : command.commands.flatMap(leaves);
  for (const command of program.commands.flatMap(leaves)) addLoggingOptions(command);
  program.hook('preAction', (_program, action) => {
    const flags = action.opts<LoggingFlags>();
    configureLogging({
      level: flags.quiet ? 'error' : flags.verbose ? 'debug' : undefined,
      format: flags.logFormat,
    });
  });
}
