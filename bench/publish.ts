/**
 * Collects the sections each benchmark wrote to bench/out/<name>.md into docs/benchmarks.md,
 * so the published figures always come with the command that produced them.
 * Usage: npx tsx bench/publish.ts
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_OUT_DIR } from './support.js';

const docPath = join(import.meta.dirname, '..', 'docs', 'benchmarks.md');

const sections = readdirSync(BENCH_OUT_DIR)
  .filter((f) => f.endsWith('.md'))
  .sort()
  .map((f) => readFileSync(join(BENCH_OUT_DIR, f), 'utf8').trim());

const header = `# Benchmarks

Figures measured on the development machine (2 cores, 24 GiB, Node.js 20, PostgreSQL 15 on
loopback). The machine is shared and noisy: read them as orders of magnitude. Each section names
the command that produced it; \`npx tsx bench/publish.ts\` gathers the sections into this file.
`;

writeFileSync(docPath, `${header}\n${sections.join('\n\n')}\n`);
process.stdout.write(`wrote ${docPath} (${sections.length} sections)\n`);
