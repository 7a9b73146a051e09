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
    /** Stable: usage, config, query, rule, not_found, sync_busy, disk_full, file, store, microsoft_api, failed. */
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

/** File-system failures a person fixes on their side, said plainly instead of as errno text. */
const FILE_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
};

interface FileFailure {
  /** Node's own text ("EACCES: permission denied, open '/x'"), replaced in the message. */
  original: string;
  plain: string;
}

function fileFailure(err: unknown): FileFailure | undefined {
  for (let at: unknown = err; at instanceof Error; at = at.cause) {
    const { code, path, syscall } = at as NodeJS.ErrnoException;
    if (typeof path !== 'string' || typeof code !== 'string') continue;
    // mkdir -p meets a file where a folder should be.
    const reason =
      code === 'EEXIST' && syscall === 'mkdir' ? 'not a directory' : FILE_REASONS[code];
    if (reason) return { original: at.message, plain: `${path}: ${reason}` };
  }
  return undefined;
}

/** Error classes to codes and exit codes, most specific first. */
const KINDS: [test: (err: unknown) => boolean, code: string, exitCode: ExitCode][] = [
  [(err) => err instanceof CommanderError, 'usage', ExitCode.USAGE],
  [(err) => err instanceof ConfigError, 'config', ExitCode.USAGE],
  [(err) => err instanceof QueryError, 'query', ExitCode.USAGE],
  [(err) => err instanceof RuleError, 'rule', ExitCode.USAGE],
  [(err) => err instanceof AlertNotFoundError, 'not_found', ExitCode.NOT_FOUND],
  [diskFull, 'disk_full', ExitCode.FAILED],
  [(err) => fileFailure(err) !== undefined, 'file', ExitCode.FAILED],
  [(err) => err instanceof SyncBusyError, 'sync_busy', ExitCode.FAILED],
  [(err) => err instanceof StoreError, 'store', ExitCode.FAILED],
  [(err) => err instanceof MicrosoftApiError, 'microsoft_api', ExitCode.FAILED],
];

export function errorDocument(err: unknown): ErrorDocument {
  const file = fileFailure(err);
  const text = err instanceof Error ? err.message : String(err);
  const message = !file
    ? text
    : text.includes(file.original)
      ? text.replace(file.original, file.plain)
      : `${text}: ${file.plain}`;
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
