import { describe, expect, it } from 'vitest';
import type { IntegrationRunResult, StepResult } from '../../src/graph/types.js';
import { partialTypeReasons, planDeletions, type TypeCount } from '../../src/store/protection.js';
import { MACHINE, MACHINE_VULN, step, USER, VULN } from './fixtures.js';

/** A run with exactly these steps and lists: nothing derived, so each input is tested alone. */
function runOf(
  steps: StepResult[],
  lists: { partial?: string[]; disabled?: string[] } = {},
): IntegrationRunResult {
  return {
    instanceName: 'test',
    startedAt: 0,
    finishedAt: 1,
    stepResults: steps,
    partialDatasets: { types: lists.partial ?? [] },
    disabledTypes: lists.disabled ?? [],
    apiCalls: {},
  };
}

const count = (type: string, current: number, unseen: number): TypeCount => ({
  type,
  current,
  unseen,
});

describe('planDeletions', () => {
  const users = runOf([step('users', [USER])]);
  const plan = (current: number, unseen: number, share: number) =>
    planDeletions(users, { entities: [count(USER, current, unseen)], relationships: [] }, share);

  it('deletes a drop of exactly the maximum share, and holds back one row more', () => {
    expect(plan(4, 2, 0.5)).toEqual({ entityTypes: [USER], relationshipTypes: [], heldBack: [] });
    expect(plan(1000, 500, 0.5).entityTypes).toEqual([USER]);
    expect(plan(1000, 501, 0.5)).toEqual({
      entityTypes: [],
      relationshipTypes: [],
      heldBack: [
        {
          kind: 'entity',
          type: USER,
          count: 501,
          reason: 'would delete 501 of 1000 (50%), more than the maximum delete share 0.5',
        },
      ],
    });
    expect(plan(3, 2, 0.5).heldBack.map((h) => h.reason)).toEqual([
      'would delete 2 of 3 (67%), more than the maximum delete share 0.5',
    ]);
    // Share 1 allows everything, share 0 nothing.
    expect(plan(7, 7, 1).entityTypes).toEqual([USER]);
    expect(plan(7, 1, 0).heldBack.map((h) => h.count)).toEqual([1]);
  });

  it('leaves out types with nothing unseen', () => {
    expect(plan(5, 0, 0)).toEqual({ entityTypes: [], relationshipTypes: [], heldBack: [] });
  });

  it('holds back the other types of the step whose type dropped, keeping a reason already given', () => {
    const run = runOf([step('vulns', [VULN, MACHINE_VULN, MACHINE]), step('users', [USER])]);
    const result = planDeletions(
      run,
      {
        entities: [count(MACHINE, 10, 1), count(VULN, 4, 3), count(USER, 10, 1)],
        relationships: [count(MACHINE_VULN, 10, 1)],
      },
      0.5,
    );
    expect(result).toEqual({
      entityTypes: [USER],
      relationshipTypes: [],
      heldBack: [
        {
          kind: 'entity',
          type: MACHINE,
          count: 1,
          reason: `declared by step "vulns" with "${VULN}", whose deletions are held back`,
        },
        {
          kind: 'entity',
          type: VULN,
          count: 3,
          reason: 'would delete 3 of 4 (75%), more than the maximum delete share 0.5',
        },
        {
          kind: 'relationship',
          type: MACHINE_VULN,
          count: 1,
          reason: `declared by step "vulns" with "${VULN}", whose deletions are held back`,
        },
      ],
    });
  });

  it('does not let a sibling reason replace an earlier one', () => {
    const run = runOf([step('a', [VULN, MACHINE]), step('b', [MACHINE, USER])]);
    const result = planDeletions(
      run,
      { entities: [count(VULN, 2, 2), count(USER, 2, 2), count(MACHINE, 9, 1)], relationships: [] },
      0.5,
    );
    expect(result.heldBack.map((h) => [h.type, h.reason])).toEqual([
      [VULN, 'would delete 2 of 2 (100%), more than the maximum delete share 0.5'],
      [USER, 'would delete 2 of 2 (100%), more than the maximum delete share 0.5'],
      [MACHINE, `declared by step "a" with "${VULN}", whose deletions are held back`],
    ]);
  });

  it('holds back a type no step declares, and types the run marked partial', () => {
    const run = runOf([step('users', [USER], 'success', { partialTypes: [USER] })]);
    const result = planDeletions(
      run,
      { entities: [count(USER, 10, 1)], relationships: [count(MACHINE_VULN, 10, 1)] },
      1,
    );
    expect(result).toEqual({
      entityTypes: [],
      relationshipTypes: [],
      heldBack: [
        { kind: 'entity', type: USER, count: 1, reason: 'declared partial by step "users"' },
        {
          kind: 'relationship',
          type: MACHINE_VULN,
          count: 1,
          reason: 'no step of this run declares the type',
        },
      ],
    });
  });

  it('puts entity and relationship types in their own lists, in the order counted', () => {
    const run = runOf([step('all', [USER, MACHINE, VULN, MACHINE_VULN])]);
    const result = planDeletions(
      run,
      {
        entities: [count(VULN, 10, 1), count(USER, 10, 1), count(MACHINE, 10, 0)],
        relationships: [count(MACHINE_VULN, 10, 5)],
      },
      0.5,
    );
    expect(result).toEqual({
      entityTypes: [VULN, USER],
      relationshipTypes: [MACHINE_VULN],
      heldBack: [],
    });
  });
});

describe('partialTypeReasons', () => {
  it('names the failed step, its dependants and the reason, first reason winning', () => {
    const run = runOf(
      [
        step('users', [USER], 'failure', { reason: 'FORBIDDEN: User.Read.All missing' }),
        step('machines', [MACHINE], 'failure', {
          error: { code: 'NETWORK', message: 'socket hang up' },
        }),
        step('vulns', [VULN], 'failure'),
        step('links', [MACHINE_VULN, USER], 'partial_success_due_to_dependency_failure', {
          reason: 'step "machines" failed',
        }),
      ],
      { partial: [USER, 'extra_type'], disabled: ['disabled_type', USER] },
    );
    expect(partialTypeReasons(run)).toEqual([
      { type: USER, reason: 'step "users" failed: FORBIDDEN: User.Read.All missing' },
      { type: MACHINE, reason: 'step "machines" failed: socket hang up' },
      { type: VULN, reason: 'step "vulns" failed: no reason given' },
      {
        type: MACHINE_VULN,
        reason: 'step "links" depends on a failed step: step "machines" failed',
      },
      { type: 'extra_type', reason: "listed in the run's partial datasets" },
      { type: 'disabled_type', reason: 'its source is disabled' },
    ]);
  });

  it('prefers the step reason to its error message', () => {
    const run = runOf([
      step('users', [USER], 'failure', {
        reason: 'the reason',
        error: { code: 'X', message: 'the message' },
      }),
    ]);
    expect(partialTypeReasons(run)).toEqual([
      { type: USER, reason: 'step "users" failed: the reason' },
    ]);
  });

  it("gives a disabled step's types its reason, ignoring its partial types", () => {
    const run = runOf([
      step('users', [USER], 'disabled', { reason: 'graph source disabled', partialTypes: [VULN] }),
      step('machines', [MACHINE], 'disabled'),
      step('vulns', [MACHINE_VULN], 'success', { partialTypes: [MACHINE_VULN] }),
    ]);
    expect(partialTypeReasons(run)).toEqual([
      { type: USER, reason: 'step "users" is disabled: graph source disabled' },
      {
        type: MACHINE,
        reason: 'step "machines" is disabled: source disabled in the instance config',
      },
      { type: MACHINE_VULN, reason: 'declared partial by step "vulns"' },
    ]);
  });

  it('is empty for a run whose steps all succeeded fully', () => {
    expect(partialTypeReasons(runOf([step('users', [USER]), step('m', [MACHINE])]))).toEqual([]);
  });
});
