import dataModel from '@jupiterone/data-model';
import type { Entity } from '../../src/graph/types.js';

/** Errors from validating an entity against every one of its `_class` schemas (j1-sdk.md §3.2). */
export function dataModelErrors(entity: Entity): string[] {
  const errors: string[] = [];
  for (const entityClass of entity._class) {
    const validate = dataModel.IntegrationSchema.getSchema(`#${entityClass}`);
    if (!validate) {
      errors.push(`no schema for class ${entityClass}`);
      continue;
    }
    if (!validate(entity)) {
      for (const e of validate.errors ?? [])
        errors.push(`${entityClass}${e.instancePath} ${e.message}`);
    }
  }
  return errors;
}
