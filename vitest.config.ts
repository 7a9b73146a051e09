import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'web/test/**/*.test.ts'],
    // The CLI tests run dist/: rebuild it first when src/ is newer.
    globalSetup: ['test/support/build-dist.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Emulator, SQLite and PostgreSQL tests are real I/O; two workers fit the 2-core machine.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
