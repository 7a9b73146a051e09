import { STEP_DECLARATIONS, type StepDeclaration } from '../integration/declarations.js';
import { PEOPLE_STEP } from '../people/declarations.js';

/** Every step a sync reports, in order: the collector's steps, then the people mapping. */
export const SYNC_STEP_DECLARATIONS: StepDeclaration[] = [...STEP_DECLARATIONS, PEOPLE_STEP];
