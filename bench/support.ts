/**
 * What the benchmark scripts share: running TypeScript in a child process, a database per run,
 * the generated tenant-shaped graph, percentiles, writing their section.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';
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

/** The tenant flags the emulator benches share (strings, as `parseArgs` gives them). */
export interface BenchTenant {
  seed: string;
  machines: string;
  users: string;
  groups: string;
  cves: string;
  'quota-scale': string;
}

export interface BenchEmulator {
  /** The instance config it wrote. */
  configFile: string;
  admin<T>(path: string, method?: 'GET' | 'POST' | 'DELETE'): Promise<T>;
  close(): Promise<void>;
}

/**
 * Runs `emulator` in a child process (apart from the measured one) on a tenant of this size,
 * writing its instance config into `work`; resolves once it listens.
 */
export async function startBenchEmulator(
  work: string,
  tenant: BenchTenant,
  extraArgs: string[] = [],
): Promise<BenchEmulator> {
  const configFile = join(work, 'defender-graph.yaml');
  const child = spawn(
    process.execPath,
    tsxArgs(join(import.meta.dirname, '../src/cli/main.ts'), [
      'emulator',
      '--json',
      '--data-dir',
      join(work, 'emulator'),
      '--write-config',
      configFile,
      ...(['seed', 'machines', 'users', 'groups', 'cves', 'quota-scale'] as const).flatMap(
        (flag) => [`--${flag}`, tenant[flag]],
      ),
      ...extraArgs,
    ]),
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const ready = await new Promise<{ url: string; caFile: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line)));
  });
  const dispatcher = new Agent({ connect: { ca: readFileSync(ready.caFile, 'utf8') } });
  return {
    configFile,
    admin: async <T>(path: string, method: 'GET' | 'POST' | 'DELETE' = 'GET') =>
      (await (
        await request(`${ready.url}/admin${path}`, {
          dispatcher,
          method,
          ...(method === 'POST'
            ? { body: '{}', headers: { 'content-type': 'application/json' } }
            : {}),
        })
      ).body.json()) as T,
    async close() {
      child.kill('SIGTERM');
      await dispatcher.close();
      await new Promise((r) => child.once('exit', r));
    },
  };
}
