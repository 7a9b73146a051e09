import { describe, expect, it } from 'vitest';
import { eta, lineProgress, quotaWaitMessage } from '../../src/sync/progress.js';
import type { StepResult } from '../../src/graph/types.js';

/** The line display (a pipe, a log file): what `sync` and `collect` print when stderr is no terminal. */
describe('line progress', () => {
  const display = () => {
    const lines: string[] = [];
    let now = 1_000_000;
    const progress = lineProgress(
      (l) => lines.push(l),
      () => now,
    );
    return { lines, progress, tick: (ms: number) => (now += ms) };
  };

  it('counts without a total say how many so far (not "200/0"); with a total, an estimate of the time left', () => {
    const { lines, progress, tick } = display();
    progress.onProgress({ type: 'step_start', stepId: 'fetch-users', name: 'Fetch users' });
    tick(2_000);
    progress.onProgress({
      type: 'step_progress',
      stepId: 'fetch-users',
      entities: 200,
      relationships: 0,
      done: 200,
    });
    progress.onProgress({ type: 'step_start', stepId: 'fetch-groups', name: 'Fetch groups' });
    tick(10_000);
    progress.onProgress({
      type: 'step_progress',
      stepId: 'fetch-groups',
      entities: 30,
      relationships: 40,
      done: 25,
      total: 100,
    });
    // Within 2 s of the last line of the step: not shown.
    tick(1_000);
    progress.onProgress({
      type: 'step_progress',
      stepId: 'fetch-groups',
      entities: 31,
      relationships: 41,
      done: 26,
      total: 100,
    });
    expect(lines).toEqual([
      '… fetch-users: Fetch users',
      '  fetch-users: 200 entities, 0 relationships (200)',
      '… fetch-groups: Fetch groups',
      '  fetch-groups: 30 entities, 40 relationships (25/100), about 30 s left',
    ]);
  });

  it('a quota wait is announced once, not once per waiting request; the step end and phases follow', () => {
    const { lines, progress, tick } = display();
    progress.onProgress({ type: 'paced', bucket: 'defender:machines', waitMs: 41_200 });
    tick(1_000);
    progress.onProgress({ type: 'paced', bucket: 'defender:logonusers', waitMs: 39_000 });
    progress.onProgress({ type: 'paced', bucket: 'graph', waitMs: 500 });
    tick(45_000);
    progress.onProgress({ type: 'paced', bucket: 'defender:machines', waitMs: 5_000 });
    const result: StepResult = {
      id: 'fetch-machines',
      name: 'Fetch machines',
      dependsOn: [],
      status: 'success',
      declaredTypes: [],
      partialTypes: [],
      encounteredTypes: [],
      encounteredTypeCounts: { microsoft_defender_machine: 12 },
      apiCalls: 3,
      durationMs: 46_500,
    };
    progress.onProgress({ type: 'step_end', result });
    progress.onProgress({ type: 'phase', phase: 'mapping people' });
    expect(lines).toEqual([
      '  waiting for the Defender quota, resumes in 42 s',
      '  waiting for the Defender quota, resumes in 5 s',
      '✓ fetch-machines: success, 12 objects, 3 API calls in 46.5 s',
      '… mapping people',
    ]);
  });

  it('eta: only with a total and some work done', () => {
    expect(eta(0, 10, 5_000)).toBeUndefined();
    expect(eta(5, undefined, 5_000)).toBeUndefined();
    expect(eta(10, 10, 5_000)).toBeUndefined();
    expect(eta(1, 4, 2_000)).toBe(6_000);
    expect(quotaWaitMessage('graph', 10)).toBe(
      'waiting for the Microsoft Graph quota, resumes in 1 s',
    );
  });
});
