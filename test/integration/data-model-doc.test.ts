import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderDataModel } from '../../src/integration/data-model-doc.js';
import { declaredTypes, STEP_DECLARATIONS } from '../../src/integration/declarations.js';

describe('docs/data-model.md', () => {
  it('lists every declared type and permission', () => {
    const doc = renderDataModel();
    for (const step of STEP_DECLARATIONS) {
      for (const type of declaredTypes(step)) expect(doc).toContain(`\`${type}\``);
      for (const { permission } of step.permissions) expect(doc).toContain(permission);
    }
  });

  it('is the committed file, regenerated (run `defender-graph docs model --output docs/data-model.md`)', () => {
    const committed = readFileSync(join(import.meta.dirname, '../../docs/data-model.md'), 'utf8');
    expect(committed).toBe(renderDataModel());
  });
});
