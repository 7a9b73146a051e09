import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../store/backends.js';
import { expectGraphEqualsTruth, liveGraph, startRig, sync, type FaultRig } from './harness.js';

const MACHINE = 'microsoft_defender_machine';

describe.each(BACKENDS)('mass churn of a chosen size, without a restart, on $name', (backend) => {
  let rig: FaultRig;
  beforeAll(async () => {
    rig = await startRig(backend, 'churn', { seed: 29 });
    const first = await sync(rig);
    expect(first.exitCode).toBe(0);
  });
  afterAll(async () => rig?.close());

  it('shares per kind: 30% of users and machines change, and the next sync follows exactly', async () => {
    const before = await rig.te.truth({ lists: false });
    const report = await rig.te.advance({ users: 0.3, machines: 0.3 });
    // 60 users and 40 machines: 18 users each disabled, deleted, updated and added; 12 machines
    // offboarded, updated and onboarded.
    expect([report.users.deleted.length, report.users.added.length]).toEqual([18, 18]);
    expect([report.machines.offboarded.length, report.machines.onboarded.length]).toEqual([12, 12]);
    const after = await rig.te.truth({ lists: false });
    expect(after.counts.machines).toBe(before.counts.machines);
    // 30 % churn of users and machines moves most people's "uses most" machine, so the people step's
    // OWNS links would be held back; this case is about following churn (protection: next test).
    const outcome = await sync(rig, { maxDeleteShare: 1 });
    expect(outcome.exitCode, JSON.stringify(outcome.record.heldBack)).toBe(0);
    expect(outcome.record.typeCounts[MACHINE]).toMatchObject({ created: 12, deleted: 12 });
    await expectGraphEqualsTruth(rig.store, await rig.te.truth());
  });

  it('counts per kind: 25 of 40 machines offboarded is held back, then committed when allowed', async () => {
    const report = await rig.te.advance({ machines: 25 });
    expect(report.machines.offboarded).toHaveLength(25);
    const kept = (await liveGraph(rig.store))[MACHINE];
    const guarded = await sync(rig);
    expect(guarded.record.heldBack).toContainEqual(
      expect.objectContaining({ type: MACHINE, count: 25 }),
    );
    expect((await liveGraph(rig.store))[MACHINE]).toEqual(
      [...new Set([...kept!, ...report.machines.onboarded.map((id) => `${MACHINE}:${id}`)])].sort(),
    );
    const allowed = await sync(rig, { maxDeleteShare: 1 });
    expect(allowed.exitCode, JSON.stringify(allowed.steps)).toBe(0);
    await expectGraphEqualsTruth(rig.store, await rig.te.truth());
  });

  it('an invalid churn size is refused naming the field', async () => {
    await expect(rig.te.advance({ machines: -1 })).rejects.toThrow(
      /admin POST \/advance: 400 .*Invalid churn field 'machines'/,
    );
  });
});
