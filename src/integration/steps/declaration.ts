import { ENTITIES, STEP_DECLARATIONS, type StepDeclaration, type StepId } from '../declarations.js';

export function declaration(id: StepId): StepDeclaration {
  const found = STEP_DECLARATIONS.find((s) => s.id === id);
  if (!found) throw new Error(`no declaration for step ${id}`);
  return found;
}

/** The relationship types (direct and mapped) a step declares, but not account HAS …. */
export function declaredMemberTypes(id: StepId): string[] {
  const { relationships, mappedRelationships } = declaration(id);
  return [...relationships, ...mappedRelationships]
    .filter((r) => r.sourceType !== ENTITIES.ACCOUNT._type)
    .map((r) => r._type);
}
