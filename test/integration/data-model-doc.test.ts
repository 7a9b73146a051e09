import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderDataModel } from '../../src/integration/data-model-doc.js';
import { declaredTypes } from '../../src/integration/declarations.js';
import { SYNC_STEP_DECLARATIONS } from '../../src/sync/declarations.js';

describe('docs/data-model.md', () => {
  it('lists every declared type and permission', () => {
    const doc = renderDataModel(SYNC_STEP_DECLARATIONS);
    for (const step of SYNC_STEP_DECLARATIONS) {
      for (const type of declaredTypes(step)) expect(doc).toContain(`\`${type}\``);
      for (const { permission } of step.permissions) expect(doc).toContain(permission);
    }
  });

  it('is the committed file, regenerated (run `defender-graph docs model --output docs/data-model.md`)', () => {
    const committed = readFileSync(join(import.meta.dirname, '../../docs/data-model.md'), 'utf8');
    expect(committed).toBe(renderDataModel(SYNC_STEP_DECLARATIONS));
  });
});
