import type { InstanceConfig } from '../config/instance-config.js';
import type {
  Entity,
  GraphObjectStore,
  GraphRelationship,
  IntegrationRunResult,
  PreviousGraph,
  StepError,
  StepResult,
  SyncState,
} from '../graph/types.js';
import type { CallCounter } from '../microsoft/call-counter.js';
import type { DefenderClient } from '../microsoft/defender-client.js';
import { MicrosoftApiError } from '../microsoft/errors.js';
import type { GraphClient } from '../microsoft/graph-client.js';
import type { Logger } from '../util/logger.js';
import { declaredTypes } from './declarations.js';
import type { IntegrationStep, JobState } from './step.js';
import { boundObjects } from './bounded-object.js';

export type ProgressEvent =
  | { type: 'step_start'; stepId: string; name: string }
  | {
      type: 'step_progress';
      stepId: string;
      entities: number;
      relationships: number;
      done?: number;
      total?: number;
    }
  | { type: 'step_end'; result: StepResult }
  /** The client waits `waitMs` for room in a quota (a pacing bucket such as `defender:machines`). */
  | { type: 'paced'; bucket: string; waitMs: number };

export interface ExecuteStepsOptions {
  steps: IntegrationStep[];
  instance: InstanceConfig;
  store: GraphObjectStore;
  graph: GraphClient;
  defender: DefenderClient;
  counter: CallCounter;
  onProgress?: (event: ProgressEvent) => void;
  logger?: Logger;
  sync?: SyncBase;
}

/**
 * A run whose store keeps sync state. With `state` (saved by the last committed sync) the run is
 * incremental: each step that saved something gets it back with the previous graph.
 */
export interface SyncBase {
  previous: PreviousGraph;
  state?: SyncState;
}

export class DuplicateKeyError extends Error {
  override name = 'DuplicateKeyError';
}

export class UndeclaredTypeError extends Error {
  override name = 'UndeclaredTypeError';
}

/**
 * Runs steps in dependency order, independent ones concurrently. A step whose source is disabled
 * (or whose dependency is disabled) is `disabled`; a step that throws is `failure`; a step that
 * succeeds after a dependency failed or was partial is `partial_success_due_to_dependency_failure`.
 */
export async function executeSteps(options: ExecuteStepsOptions): Promise<IntegrationRunResult> {
  const { steps, instance } = options;
  checkDependencies(steps);
  const startedAt = Date.now();
  const seenKeys = new Set<string>();
  const results = new Map<string, StepResult>();
  const running = new Map<string, Promise<void>>();
  const saved: SyncState = {};

  const runStep = async (step: IntegrationStep): Promise<void> => {
    await Promise.all(step.dependsOn.map((id) => running.get(id)));
    const dependencyResults = step.dependsOn.map((id) => results.get(id)!);
    const disabledDependency = dependencyResults.find((r) => r.status === 'disabled');
    const disabledReason =
      step.ingestionSourceId && instance.disabledSources.includes(step.ingestionSourceId)
        ? `source "${step.ingestionSourceId}" is disabled in the configuration`
        : disabledDependency && `depends on disabled step ${disabledDependency.id}`;
    if (disabledReason) {
      const result: StepResult = {
        ...emptyResult(step),
        status: 'disabled',
        reason: disabledReason,
      };
      results.set(step.id, result);
      options.onProgress?.({ type: 'step_end', result });
      return;
    }
    results.set(step.id, await executeStep(step, options, seenKeys, saved));
    const result = results.get(step.id)!;
    const unhealthy = dependencyResults.find((r) => r.status !== 'success');
    if (result.status === 'success' && unhealthy) {
      result.status = 'partial_success_due_to_dependency_failure';
      result.reason = `depends on ${unhealthy.id} (${unhealthy.status})`;
    }
    options.onProgress?.({ type: 'step_end', result });
  };

  for (const step of topologicalOrder(steps)) running.set(step.id, runStep(step));
  await Promise.all(running.values());
  await options.store.flush();

  const stepResults = steps.map((s) => results.get(s.id)!);
  return {
    instanceName: instance.name,
    startedAt,
    finishedAt: Date.now(),
    stepResults,
    partialDatasets: { types: partialTypes(stepResults) },
    disabledTypes: [
      ...new Set(
        stepResults.filter((r) => r.status === 'disabled').flatMap((r) => r.declaredTypes),
      ),
    ].sort(),
    apiCalls: { ...options.counter.byLabel },
    ...(options.sync && {
      mode: options.sync.state ? 'incremental' : 'full',
      syncState: Object.fromEntries(
        stepResults
          .filter((r) => r.status === 'success' && saved[r.id])
          .map((r) => [r.id, saved[r.id]!]),
      ),
    }),
  };
}

async function executeStep(
  step: IntegrationStep,
  options: ExecuteStepsOptions,
  seenKeys: Set<string>,
  saved: SyncState,
): Promise<StepResult> {
  const { store, instance, counter } = options;
  const declared = new Set(declaredTypes(step));
  const counts: Record<string, number> = {};
  let entities = 0;
  let relationships = 0;
  let done: number | undefined;
  let total: number | undefined;
  const report = () =>
    options.onProgress?.({
      type: 'step_progress',
      stepId: step.id,
      entities,
      relationships,
      done,
      total,
    });

  const track = (objects: (Entity | GraphRelationship)[]) => {
    for (const object of objects) {
      if (!declared.has(object._type)) {
        throw new UndeclaredTypeError(`step ${step.id} emitted undeclared type ${object._type}`);
      }
      if (seenKeys.has(object._key)) throw new DuplicateKeyError(`duplicate _key ${object._key}`);
      seenKeys.add(object._key);
      counts[object._type] = (counts[object._type] ?? 0) + 1;
    }
  };

  const jobState: JobState = {
    async addEntities(batch) {
      const bounded = boundObjects(batch);
      const tagged = instance.tagAccountName
        ? bounded.map((e) => ({ ...e, 'tag.AccountName': instance.name }))
        : bounded;
      track(tagged);
      await store.addEntities(step.id, tagged);
      entities += batch.length;
      report();
    },
    async addRelationships(batch) {
      const bounded = boundObjects(batch);
      track(bounded);
      await store.addRelationships(step.id, bounded);
      relationships += batch.length;
      report();
    },
    findEntity: (key) => store.findEntity(key),
    iterateEntities: (filter, each) => store.iterateEntities(filter, each),
  };

  const startTime = Date.now();
  options.onProgress?.({ type: 'step_start', stepId: step.id, name: step.name });
  let error: StepError | undefined;
  try {
    await counter.withScope(step.id, () =>
      step.executionHandler({
        instance,
        graph: options.graph,
        defender: options.defender,
        jobState,
        logger: options.logger,
        changes: options.sync && {
          since: options.sync.state?.[step.id] && {
            previous: options.sync.previous,
            state: options.sync.state[step.id]!,
          },
          save: (state) => {
            saved[step.id] = state;
          },
        },
        progress(d, t) {
          done = d;
          total = t;
          report();
        },
      }),
    );
  } catch (err) {
    error =
      err instanceof MicrosoftApiError
        ? err.toStepError()
        : { code: errorCode(err), message: err instanceof Error ? err.message : String(err) };
    options.logger?.error({ step: step.id, code: error.code }, error.message);
  }
  const endTime = Date.now();
  return {
    ...emptyResult(step),
    status: error ? 'failure' : 'success',
    reason: error?.message,
    error,
    encounteredTypes: Object.keys(counts).sort(),
    encounteredTypeCounts: counts,
    apiCalls: counter.byScope[step.id] ?? 0,
    startTime,
    endTime,
    durationMs: endTime - startTime,
  };
}

function errorCode(err: unknown): string {
  if (err instanceof DuplicateKeyError) return 'DUPLICATE_KEY';
  if (err instanceof UndeclaredTypeError) return 'UNDECLARED_TYPE';
  return 'STEP_FAILED';
}

function emptyResult(step: IntegrationStep): StepResult {
  return {
    id: step.id,
    name: step.name,
    dependsOn: [...step.dependsOn],
    status: 'success',
    declaredTypes: declaredTypes(step),
    partialTypes: [
      ...step.entities.filter((e) => e.partial).map((e) => e._type),
      ...step.relationships.filter((r) => r.partial).map((r) => r._type),
      ...step.mappedRelationships.filter((r) => r.partial).map((r) => r._type),
    ],
    encounteredTypes: [],
    encounteredTypeCounts: {},
    apiCalls: 0,
  };
}

/** The J1 SDK's rule: declared types of failed/partial steps, plus `partial` types of enabled steps. */
export function partialTypes(results: StepResult[]): string[] {
  const types = new Set<string>();
  for (const r of results) {
    if (r.status !== 'disabled') r.partialTypes.forEach((t) => types.add(t));
    if (r.status === 'failure' || r.status === 'partial_success_due_to_dependency_failure') {
      r.declaredTypes.forEach((t) => types.add(t));
    }
  }
  return [...types].sort();
}

function checkDependencies(steps: IntegrationStep[]): void {
  const ids = new Set(steps.map((s) => s.id));
  for (const step of steps) {
    const missing = step.dependsOn.filter((d) => !ids.has(d));
    if (missing.length > 0)
      throw new Error(`step ${step.id} depends on unknown step ${missing.join(', ')}`);
  }
}

/** Dependencies first; throws on a cycle. */
export function topologicalOrder(steps: IntegrationStep[]): IntegrationStep[] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const ordered: IntegrationStep[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (step: IntegrationStep, path: string[]) => {
    if (state.get(step.id) === 'done') return;
    if (state.get(step.id) === 'visiting')
      throw new Error(`step dependency cycle: ${[...path, step.id].join(' → ')}`);
    state.set(step.id, 'visiting');
    for (const dep of step.dependsOn) visit(byId.get(dep)!, [...path, step.id]);
    state.set(step.id, 'done');
    ordered.push(step);
  };
  for (const step of steps) visit(step, []);
  return ordered;
}
