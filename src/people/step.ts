/**
 * The people mapping as a step of every sync: picks the roster (the configured file, re-read now;
 * else the imported one; else none, deriving people from the directory), loads the rules, maps, and
 * reports a step result so a failure protects the previous people from deletion.
 */
import type { GraphObjectStore, IntegrationRunResult, StepResult } from '../graph/types.js';
import { declaredTypes } from '../integration/declarations.js';
import { PEOPLE_STEP, PERSON } from './declarations.js';
import { mapPeople, type PeopleMappingResult } from './map-people.js';
import { readRosterFile, type Roster } from './roster.js';
import { loadPeopleRules } from './rules-file.js';

export interface PeopleSettings {
  roster?: string;
  rules?: string;
}

export interface PeopleStepInput {
  store: GraphObjectStore;
  settings: PeopleSettings | undefined;
  run: IntegrationRunResult;
  /** The roster last imported with `people import`, used when no roster file is configured. */
  importedRoster: () => Promise<Roster | undefined>;
}

export interface PeopleStepOutcome {
  result: StepResult;
  mapping?: PeopleMappingResult;
}

export async function runPeopleStep(input: PeopleStepInput): Promise<PeopleStepOutcome> {
  const startTime = Date.now();
  const base: StepResult = {
    id: PEOPLE_STEP.id,
    name: PEOPLE_STEP.name,
    dependsOn: PEOPLE_STEP.dependsOn,
    status: 'success',
    declaredTypes: declaredTypes(PEOPLE_STEP),
    partialTypes: [],
    encounteredTypes: [],
    encounteredTypeCounts: {},
    apiCalls: 0,
    startTime,
  };
  const finish = (result: StepResult): StepResult => {
    const endTime = Date.now();
    return { ...result, endTime, durationMs: endTime - startTime };
  };
  try {
    const rules = loadPeopleRules(input.settings?.rules);
    const roster = input.settings?.roster
      ? readRosterFile(input.settings.roster)
      : await input.importedRoster();
    const mapping = await mapPeople(input.store, rules, roster);
    const counts: Record<string, number> = {
      [PERSON._type]: mapping.people,
      ...mapping.relationshipCounts,
    };
    const failedDependency = input.run.stepResults.find(
      (s) =>
        (PEOPLE_STEP.dependsOn as string[]).includes(s.id) &&
        s.status !== 'success' &&
        s.status !== 'disabled',
    );
    return {
      mapping,
      result: finish({
        ...base,
        status: failedDependency ? 'partial_success_due_to_dependency_failure' : 'success',
        reason: failedDependency
          ? `depends on ${failedDependency.id} (${failedDependency.status})`
          : undefined,
        encounteredTypes: Object.keys(counts).filter((t) => counts[t]! > 0),
        encounteredTypeCounts: counts,
      }),
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      result: finish({
        ...base,
        status: 'failure',
        reason: message,
        error: { code: err instanceof Error ? err.name : 'ERROR', message },
      }),
    };
  }
}

/** The run with the people step's result appended, as the commit and its deletion rules read it. */
export function withPeopleStep(run: IntegrationRunResult, step: StepResult): IntegrationRunResult {
  return { ...run, stepResults: [...run.stepResults, step] };
}
