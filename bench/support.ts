/**
 * What the benchmark scripts share: running TypeScript in a child process, a database per run,
 * the generated tenant-shaped graph, percentiles, writing their section.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StepResult } from '../src/graph/types.js';
import pg from 'pg';

/** Where each benchmark keeps its section; `bench/publish.ts` gathers them into docs/benchmarks.md. */
export const BENCH_OUT_DIR = join(import.meta.dirname, 'out');

/** Arguments for `process.execPath` that run a TypeScript file through tsx. */
export function tsxArgs(script: string, args: string[]): string[] {
  return ['--import', 'tsx', script, ...args];
}

/** Writes one benchmark's Markdown section to bench/out/<file> and prints it. */
export function writeSection(file: string, markdown: string): void {
  mkdirSync(BENCH_OUT_DIR, { recursive: true });
  writeFileSync(join(BENCH_OUT_DIR, file), markdown);
  process.stdout.write(markdown);
}

/** A successful step result declaring `declaredTypes`, for runs the benchmarks commit by hand. */
export function successStep(id: string, declaredTypes: string[]): StepResult {
  return {
    id,
    name: id,
    dependsOn: [],
    status: 'success',
    declaredTypes,
    partialTypes: [],
    encounteredTypes: declaredTypes,
    encounteredTypeCounts: {},
    apiCalls: 0,
  };
}

export const PG_SERVER = process.env.DEFENDER_GRAPH_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432';

/** The p-th percentile of ascending `sorted` (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

export async function pgAdmin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
  await client.connect();
  await client.query(sql);
  await client.end();
}

export async function pgDatabaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
  await client.connect();
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  await client.end();
  return rowCount === 1;
}

/** An empty store URL for one benchmark run on `backend`; `drop` removes the database. */
export async function benchDatabase(
  backend: 'sqlite' | 'postgres',
  name: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `dg-${name}-`));
  if (backend === 'sqlite')
    return {
      url: `sqlite:${join(dir, 'graph.db')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  await pgAdmin(`DROP DATABASE IF EXISTS ${name}`);
  await pgAdmin(`CREATE DATABASE ${name}`);
  return {
    url: `${PG_SERVER}/${name}`,
    drop: async () => {
      await pgAdmin(`DROP DATABASE IF EXISTS ${name}`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Fills the store at `url` with the store benchmark's tenant-shaped graph (first sync plus 1%
 * churn; bench/store-commit.ts --scenario), so every benchmark measures the same shape.
 */
export function generateScenario(url: string, machines: number): void {
  const generator = spawnSync(
    process.execPath,
    tsxArgs(join(import.meta.dirname, 'store-commit.ts'), ['--scenario', url, String(machines)]),
    { encoding: 'utf8', stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (generator.status !== 0) throw new Error(`generating ${machines} machines at ${url} failed`);
}

/** `--name VALUE` from the command line, else `fallback`. */
export function flagValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
