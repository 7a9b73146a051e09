/**
 * How a command that ends in an error reports it: the message on stderr for a person, and with
 * `--json` one error document on stdout for a script (docs/cli.md, "Errors as JSON").
 */
import { CommanderError } from 'commander';
import { AlertNotFoundError, RuleError } from '../alerts/index.js';
import { ConfigError } from '../config/load.js';
import { MicrosoftApiError } from '../microsoft/errors.js';
import { QueryError } from '../query/errors.js';
import { SyncBusyError } from '../store/instance-lock.js';
import { StoreError } from '../store/sql/connection.js';
import { ExitCode } from '../util/exit-codes.js';
import { UsageError } from '../util/usage-error.js';

export interface ErrorDocument {
  error: {
    /** Stable: usage, config, query, rule, not_found, sync_busy, disk_full, store, microsoft_api, failed. */
    code: string;
    message: string;
    exitCode: ExitCode;
  };
}

/** Driver codes for "no space left": Node, SQLite (better-sqlite3), PostgreSQL (SQLSTATE). */
const DISK_FULL_CODES = new Set(['ENOSPC', 'SQLITE_FULL', '53100', 'EDQUOT']);

function diskFull(err: unknown): boolean {
  for (let at: unknown = err; at instanceof Error; at = at.cause) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === 'string' && DISK_FULL_CODES.has(code)) return true;
  }
  return false;
}

/** Error classes to codes and exit codes, most specific first. */
const KINDS: [test: (err: unknown) => boolean, code: string, exitCode: ExitCode][] = [
  [(err) => err instanceof CommanderError, 'usage', ExitCode.USAGE],
  [(err) => err instanceof ConfigError, 'config', ExitCode.USAGE],
  [(err) => err instanceof QueryError, 'query', ExitCode.USAGE],
  [(err) => err instanceof RuleError, 'rule', ExitCode.USAGE],
  [(err) => err instanceof AlertNotFoundError, 'not_found', ExitCode.NOT_FOUND],
  [diskFull, 'disk_full', ExitCode.FAILED],
  [(err) => err instanceof SyncBusyError, 'sync_busy', ExitCode.FAILED],
  [(err) => err instanceof StoreError, 'store', ExitCode.FAILED],
  [(err) => err instanceof MicrosoftApiError, 'microsoft_api', ExitCode.FAILED],
];

export function errorDocument(err: unknown): ErrorDocument {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof UsageError)
    return { error: { code: err.code, message, exitCode: ExitCode.USAGE } };
  const [, code, exitCode] = KINDS.find(([test]) => test(err)) ?? [
    undefined,
    'failed',
    ExitCode.FAILED,
  ];
  return { error: { code, message, exitCode } };
}

/** `--json`, or `--format json` on commands that have it. */
export function wantsJson(argv: string[]): boolean {
  return argv.some(
    (arg, i) =>
      arg === '--json' || arg === '--format=json' || (arg === '--format' && argv[i + 1] === 'json'),
  );
}
