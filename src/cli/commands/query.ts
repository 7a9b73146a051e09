import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { UsageError } from '../../util/usage-error.js';
import { ExitCode } from '../../util/exit-codes.js';
import { printJson, printTable } from '../output.js';
import { instanceIdOf, withExistingStore } from '../../sync/command-support.js';
import { checkLines } from '../../query/check.js';
import {
  DEFAULT_LIMIT,
  DEFAULT_MAX_ROWS,
  DEFAULT_TIMEOUT_MS,
  runQuery,
} from '../../query/engine.js';
import { QueryError } from '../../query/errors.js';
import { flatten, toCsv, type QueryResult } from '../../query/results.js';
import type { ParameterValue } from '../../query/values.js';
import { instanceOption, dbOption, jsonOption } from '../options.js';

interface QueryFlags {
  db?: string;
  format: 'table' | 'json' | 'csv';
  json?: boolean;
  param: string[];
  includeDeleted?: boolean;
  limit?: string;
  all?: boolean;
  instance?: string;
  check?: string;
  timeout?: string;
  maxRows?: string;
  cursor?: string;
}

/** `k=v`: the value is JSON when it parses as JSON (5, true, ["a","b"]), else the text itself. */
function parseParams(pairs: string[]): Record<string, ParameterValue> {
  const params: Record<string, ParameterValue> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--param ${pair}: expected NAME=VALUE`);
    const text = pair.slice(at + 1);
    let value: ParameterValue = text;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        value = parsed as ParameterValue;
    } catch {
      // not JSON: the text is the value
    }
    params[
      pair
        .slice(0, at)
        .trim()
        .replace(/^param\./, '')
    ] = value;
  }
  return params;
}

function positiveInteger(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${flag} must be a positive integer, got '${value}'`);
  return n;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') {
    const object = value as { entity?: { _key?: unknown } };
    return object.entity?._key !== undefined ? String(object.entity._key) : JSON.stringify(value);
  }
  return String(value);
}

export function printResultTable(result: QueryResult): void {
  if (result.type === 'tree') {
    const { vertices, edges } = result.data;
    printTable(
      ['_type', '_key', 'displayName'],
      vertices.map((v) => [cell(v.entity._type), cell(v.entity._key), cell(v.entity.displayName)]),
    );
    printTable(
      ['_class', 'from', 'to'],
      edges.map((e) => [
        cell(e.relationship._class),
        cell(e.relationship._fromEntityKey),
        cell(e.relationship._toEntityKey),
      ]),
    );
    process.stdout.write(`${vertices.length} vertices, ${edges.length} edges\n`);
    return;
  }
  if (result.type === 'list') {
    printTable(
      ['_type', '_key', 'displayName'],
      result.data.map((item) => {
        const flat = flatten(item);
        return [cell(flat._type), cell(flat._key), cell(flat.displayName)];
      }),
    );
  } else {
    const head = [...new Set(result.data.flatMap((row) => Object.keys(row)))];
    printTable(
      head,
      result.data.map((row) => head.map((column) => cell(row[column]))),
    );
  }
  process.stdout.write(`${result.data.length} ${result.data.length === 1 ? 'row' : 'rows'}\n`);
}

function readCheckInput(source: string): string {
  try {
    return readFileSync(source === '-' ? 0 : source, 'utf8');
  } catch (err) {
    throw new UsageError(
      `--check ${source}: cannot read it (${err instanceof Error ? err.message : String(err)})`,
    );
  }
}

export function registerQuery(program: Command): void {
  program
    .command('query')
    .description(
      'Run a J1QL query on the stored graph, or check a file of queries without running them.',
    )
    .argument('[query]', 'J1QL text, e.g. "FIND HostAgent WITH riskScore = \'High\'"')
    .addOption(dbOption())
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'json', 'csv'])
        .default('table'),
    )
    .addOption(jsonOption('same as --format json'))
    .option(
      '--param <name=value>',
      'value of ${param.name} / {{name}} (repeatable; JSON values such as 5, true, ["a","b"] keep their type)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--include-deleted', 'include deleted entities and relationships')
    .option('--limit <n>', `rows of a page when the query has no LIMIT (default ${DEFAULT_LIMIT})`)
    .option('--all', 'every row when the query has no LIMIT (up to --max-rows), not one page')
    .addOption(instanceOption('only starting entities of this instance'))
    .option(
      '--timeout <ms>',
      `cancel the query after this many milliseconds (default ${DEFAULT_TIMEOUT_MS})`,
    )
    .option('--max-rows <n>', `refuse answers of more rows than this (default ${DEFAULT_MAX_ROWS})`)
    .option('--cursor <cursor>', 'the next page: the "cursor" of a truncated --json result')
    .option(
      '--check <file>',
      'parse and validate every query in FILE (\'-\' = stdin; one per line, or JSON lines with a "query" field) without running them',
    )
    .addHelpText(
      'after',
      `
Output: list (no RETURN), table (RETURN …) or tree (RETURN TREE) as JupiterOne shapes them.
--check prints one JSON line per query: {"line":N,"ok":true} or {"line":N,"ok":false,"error":…}.
A query without LIMIT answers one page (--limit, default ${DEFAULT_LIMIT} rows); when more rows
follow, stderr says so ("showing 250 of more rows; …"), and --json carries "truncated": true
and a "cursor": pass it with --cursor for the next page (the HTTP API takes the same cursor).
Names the store has never seen (a misspelt _type, _class or property) are warned of on stderr
with the closest known ones, and listed in --json's "warnings".
Exit codes: 0 success, 1 the store failed, 2 bad flag, query syntax, unsupported feature, a
query over its time or row budget, or a failed --check line.`,
    )
    .action(async (text: string | undefined, flags: QueryFlags) => {
      if (flags.check !== undefined) {
        if (text !== undefined) throw new UsageError('give either a query or --check, not both');
        const results = checkLines(readCheckInput(flags.check));
        for (const result of results) process.stdout.write(`${JSON.stringify(result)}\n`);
        if (results.some((r) => !r.ok)) process.exitCode = ExitCode.USAGE;
        return;
      }
      if (text === undefined || text.trim() === '')
        throw new UsageError('a query is required, e.g. defender-graph query "FIND HostAgent"');
      if (flags.all && flags.limit !== undefined)
        throw new UsageError('give either --limit or --all, not both');
      const maxRows = positiveInteger('--max-rows', flags.maxRows, DEFAULT_MAX_ROWS);
      const options = {
        params: parseParams(flags.param),
        includeDeleted: flags.includeDeleted ?? false,
        // --all: one page as large as the row budget, which refuses an answer beyond it.
        defaultLimit: flags.all ? maxRows : positiveInteger('--limit', flags.limit, DEFAULT_LIMIT),
        instance: flags.instance,
        timeoutMs: positiveInteger('--timeout', flags.timeout, DEFAULT_TIMEOUT_MS),
        maxRows,
        cursor: flags.cursor,
      };
      const format = flags.json ? 'json' : flags.format;
      const result = await withExistingStore(flags.db, async (store) => {
        await instanceIdOf(store, flags.instance);
        try {
          return await runQuery(store, text, options);
        } catch (err) {
          if (err instanceof QueryError) throw new UsageError(err.message, 'query');
          throw err;
        }
      });
      for (const warning of result.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
      if (result.truncated)
        process.stderr.write(
          `showing ${options.defaultLimit} of more rows; --limit N or --all for more, or the next page: --cursor ${result.cursor}\n`,
        );
      if (format === 'json') printJson({ ...result, truncated: result.truncated === true });
      else if (format === 'csv') {
        if (result.type === 'tree')
          throw new UsageError(
            '--format csv needs a list or table result: RETURN TREE has no CSV form',
          );
        process.stdout.write(toCsv(result));
      } else printResultTable(result);
    });
}
