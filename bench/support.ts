/** What the benchmark scripts share: running TypeScript in a child process, writing their section. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
