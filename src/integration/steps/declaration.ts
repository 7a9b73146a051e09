import { STEP_DECLARATIONS, type StepDeclaration, type StepId } from '../declarations.js';

export function declaration(id: StepId): StepDeclaration {
  const found = STEP_DECLARATIONS.find((s) => s.id === id);
  if (!found) throw new Error(`no declaration for step ${id}`);
  return found;
}
