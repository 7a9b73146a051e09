import { describe, expect, it } from 'vitest';
import { instanceSchema } from '../../src/config/instance-config.js';
import { CallCounter } from '../../src/microsoft/call-counter.js';
import type { DefenderClient } from '../../src/microsoft/defender-client.js';
import type { GraphClient } from '../../src/microsoft/graph-client.js';
import type { StepDeclaration, StepId } from '../../src/integration/declarations.js';
import {
  executeSteps,
  topologicalOrder,
  type ProgressEvent,
} from '../../src/integration/runner.js';
import type { IntegrationStep, StepContext } from '../../src/integration/step.js';
import { MemoryGraphObjectStore } from '../../src/integration/stores/memory-store.js';

const instance = (disabledSources: string[] = []) =>
  instanceSchema.parse({
    name: 'test',
    tenantId: 't1',
    clientId: 'c',
    clientSecret: 's',
    disabledSources,
    tagAccountName: true,
  });

type Handler = (context: StepContext) => Promise<void>;

function step(
  id: string,
  dependsOn: string[],
  handler: Handler,
  extra: Partial<StepDeclaration> = {},
): IntegrationStep {
  return {
    id: id as StepId,
    name: id,
    entities: [{ resourceName: id, _type: `t_${id}`, _class: ['Resource'] }],
    relationships: [],
    mappedRelationships: [],
    dependsOn: dependsOn as StepId[],
    permissions: [],
    calls: '',
    executionHandler: handler,
    ...extra,
  };
}

const entity = (id: string, n: number) => ({
  _key: `key_${id}_${n}_padding`,
  _type: `t_${id}`,
  _class: ['Resource'],
  name: id,
});

async function run(steps: IntegrationStep[], disabled: string[] = []) {
  const store = new MemoryGraphObjectStore();
  const events: ProgressEvent[] = [];
  const result = await executeSteps({
    steps,
    instance: instance(disabled),
    store,
    graph: {} as GraphClient,
    defender: {} as DefenderClient,
    counter: new CallCounter(),
    onProgress: (e) => events.push(e),
  });
  return { result, store, events };
}

describe('step runner', () => {
  it('runs independent steps concurrently and dependents after both', async () => {
    const log: string[] = [];
    let releaseA!: () => void;
    const aStarted = new Promise<void>((resolve) => (releaseA = resolve));
    const steps = [
      step('a', [], async ({ jobState }) => {
        log.push('a start');
        await aStarted;
        await jobState.addEntities([entity('a', 1)]);
        log.push('a end');
      }),
      step('b', [], async () => {
        log.push('b start');
        releaseA();
        log.push('b end');
      }),
      step('c', ['a', 'b'], async ({ jobState }) => {
        log.push('c start');
        await jobState.addEntities([entity('c', 1)]);
      }),
    ];
    const { result, store } = await run(steps);
    // b ran while a was waiting: a cannot finish before b starts.
    expect(log.indexOf('b start')).toBeLessThan(log.indexOf('a end'));
    expect(log.at(-1)).toBe('c start');
    expect(result.stepResults.map((r) => r.status)).toEqual(['success', 'success', 'success']);
    expect(result.partialDatasets.types).toEqual([]);
    expect(store.entities('t_a')[0]!['tag.AccountName']).toBe('test');
  });

  it('a failure is reported with its error, dependents become partial, types are partial', async () => {
    const steps = [
      step('a', [], async ({ jobState }) => {
        await jobState.addEntities([entity('a', 1)]);
        throw new Error('boom');
      }),
      step('b', ['a'], async ({ jobState }) => {
        await jobState.addEntities([entity('b', 1)]);
      }),
      step('c', [], async () => {}),
    ];
    const { result, store } = await run(steps);
    const [a, b, c] = result.stepResults;
    expect(a!.status).toBe('failure');
    expect(a!.error).toMatchObject({ code: 'STEP_FAILED', message: 'boom' });
    expect(b!.status).toBe('partial_success_due_to_dependency_failure');
    expect(c!.status).toBe('success');
    expect(result.partialDatasets.types).toEqual(['t_a', 't_b']);
    // What the failed step added before throwing stays.
    expect(store.entities('t_a')).toHaveLength(1);
    expect(a!.encounteredTypeCounts).toEqual({ t_a: 1 });
  });

  it('a disabled source disables the step and its dependents, and lists their types', async () => {
    const ran: string[] = [];
    const steps = [
      step('a', [], async () => void ran.push('a'), { ingestionSourceId: 'machines' }),
      step('b', ['a'], async () => void ran.push('b')),
      step('c', [], async () => void ran.push('c')),
    ];
    const { result } = await run(steps, ['machines']);
    expect(ran).toEqual(['c']);
    expect(result.stepResults.map((r) => r.status)).toEqual(['disabled', 'disabled', 'success']);
    expect(result.disabledTypes).toEqual(['t_a', 't_b']);
    expect(result.partialDatasets.types).toEqual([]);
  });

  it('duplicate keys and undeclared types fail the step', async () => {
    const steps = [
      step('a', [], async ({ jobState }) => {
        await jobState.addEntities([entity('a', 1), entity('a', 1)]);
      }),
      step('b', [], async ({ jobState }) => {
        await jobState.addEntities([{ ...entity('b', 1), _type: 'not_declared' }]);
      }),
    ];
    const { result } = await run(steps);
    expect(result.stepResults[0]!.error?.code).toBe('DUPLICATE_KEY');
    expect(result.stepResults[1]!.error?.code).toBe('UNDECLARED_TYPE');
  });

  it('partial-declared types are partial even on success', async () => {
    const steps = [
      step('a', [], async () => {}, {
        entities: [{ resourceName: 'a', _type: 't_a', _class: ['Resource'], partial: true }],
      }),
    ];
    const { result } = await run(steps);
    expect(result.partialDatasets.types).toEqual(['t_a']);
  });

  it('orders by dependency and rejects cycles', () => {
    const noop = async () => {};
    expect(
      topologicalOrder([step('b', ['a'], noop), step('a', [], noop)]).map((s) => s.id),
    ).toEqual(['a', 'b']);
    expect(() => topologicalOrder([step('a', ['b'], noop), step('b', ['a'], noop)])).toThrow(
      /cycle/,
    );
  });
});
