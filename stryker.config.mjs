// Mutation testing of the modules where one wrong operator silently corrupts the graph or an
// answer (docs/testing.md). `npm run mutate` runs every module below; one module:
// `npm run mutate -- --mutate src/store/protection.ts`. Each module lists the tests that are meant
// to catch its bugs, and only those run: the whole suite per mutant would take days on 2 cores.

import process from 'node:process';

/** Module (or glob) → the test files that cover it. */
export const MODULES = {
  'src/store/protection.ts': ['test/store/protection.test.ts', 'test/store/graph-store.test.ts'],
  'src/microsoft/paging.ts': [
    'test/microsoft/paging.test.ts',
    'test/microsoft/http-policy.test.ts',
  ],
  'src/query/sql/*.ts': ['test/query/semantics.test.ts', 'test/query/hostile-input.test.ts'],
  'src/store/changes.ts': ['test/store/graph-store.test.ts'],
  'src/store/commit.ts': ['test/store/graph-store.test.ts'],
  'src/microsoft/pacing.ts': ['test/microsoft/pacing.test.ts'],
  'src/query/plan.ts': ['test/query/traversal-plan.test.ts', 'test/query/semantics.test.ts'],
  'src/integration/converters/*.ts': ['test/integration/converters.test.ts'],
  'src/people/rules.ts': ['test/people/match.test.ts'],
  'src/people/match.ts': ['test/people/match.test.ts'],
  'src/alerts/conditions.ts': ['test/alerts/templates.test.ts'],
  'src/alerts/templates.ts': ['test/alerts/templates.test.ts'],
  'src/config/schedule.ts': ['test/config/schedule.test.ts'],
  'src/scheduler/clock.ts': ['test/scheduler/clock.test.ts', 'test/scheduler/scheduler.test.ts'],
};

/** The `--mutate` value on the command line, if any (it overrides `mutate` below). */
function requestedModules(argv) {
  const at = argv.findIndex((a) => a === '--mutate' || a === '-m');
  const value = at >= 0 ? argv[at + 1] : argv.find((a) => a.startsWith('--mutate='))?.slice(9);
  return value ? value.split(',') : undefined;
}

/** A requested file matches a module key exactly or by the key's `dir/*.ts` glob. */
function covers(key, file) {
  const path = file.replace(/:.*$/, '');
  if (key === path) return true;
  if (!key.endsWith('/*.ts')) return false;
  const dir = key.slice(0, -'*.ts'.length);
  return path.startsWith(dir) && !path.slice(dir.length).includes('/');
}

function testsFor(requested) {
  const keys = requested
    ? Object.keys(MODULES).filter((key) => requested.some((file) => covers(key, file)))
    : Object.keys(MODULES);
  if (keys.length === 0)
    throw new Error(
      `no test list for ${requested.join(', ')}: add the module to stryker.config.mjs`,
    );
  return [...new Set(keys.flatMap((key) => MODULES[key]))];
}

const requested = requestedModules(process.argv);
const label = requested ? requested.join('+').replace(/[^A-Za-z0-9.+-]+/g, '_') : 'all';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.config.ts', related: false },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.build.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: Object.keys(MODULES),
  testFiles: testsFor(requested),
  coverageAnalysis: 'perTest',
  // The machine has 2 cores shared by several people: one test process at a time.
  concurrency: 1,
  timeoutMS: 15_000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `reports/mutation/${label}.json` },
  clearTextReporter: { allowColor: false, logTests: false },
  ignorePatterns: ['web', 'bench', 'docs', 'dist', 'reports', 'data', '.j1-integration'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
