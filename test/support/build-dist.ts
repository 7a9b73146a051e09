import { execFileSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Written by every `tsc -p tsconfig.build.json` (incremental): when dist/ was last built. */
const BUILD_INFO = resolve('dist/.tsbuildinfo');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function builtAt(): number {
  try {
    return statSync(BUILD_INFO).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Vitest global setup: the CLI tests run dist/, so a test run alone (`npx vitest run test/x`) must
 * not pass or fail on a build older than src/. Rebuilds incrementally when any source is newer.
 * Skipped inside Stryker's sandbox, whose src/ is instrumented and whose tests never run dist/.
 */
export default function setup(): void {
  if (process.env.STRYKER_MUTATOR_WORKER !== undefined) return;
  if (newestMtime(resolve('src')) <= builtAt()) return;
  execFileSync(
    process.execPath,
    [resolve('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      stdio: 'inherit',
    },
  );
  // tsc leaves the file alone when nothing it emits changed; the sources are checked either way.
  const now = new Date();
  utimesSync(BUILD_INFO, now, now);
}
