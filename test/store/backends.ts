import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../support/postgres.js';

/** A fresh store URL on each backend; `describe.each(BACKENDS)` runs a suite on both. */
export interface Backend {
  name: 'sqlite' | 'postgres';
  create(label: string): Promise<{ url: string; drop: () => Promise<void> }>;
}

export const BACKENDS: Backend[] = [
  {
    name: 'sqlite',
    async create(label) {
      const dir = mkdtempSync(join(tmpdir(), `dg-${label}-`));
      return {
        url: `sqlite:${join(dir, 'graph.db')}`,
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  { name: 'postgres', create: createTestDatabase },
];
