/** What the benchmark scripts share: running TypeScript in a child process, writing their section. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StepResult } from '../src/graph/types.js';

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
