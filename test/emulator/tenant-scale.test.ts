import { describe, expect, it } from 'vitest';
import { SimulatedTenant } from '../../src/emulator/tenant/index.js';

describe('SimulatedTenant at 100,000 machines and 50,000 users', () => {
  it('constructs lazily, serves any item and counts the ground truth without listing it', () => {
    const t = new SimulatedTenant({
      seed: 3,
      users: 50_000,
      groups: 2_000,
      machines: 100_000,
      cves: 5_000,
      logonUsersPerMachine: 3,
      vulnerabilitiesPerMachine: 10,
    });
    expect(t.machines.count()).toBe(100_000);
    expect(t.users.count()).toBe(50_000);
    const last = t.machines.at(99_999);
    expect(last?.id).toMatch(/^[0-9a-f]{40}$/);
    expect(t.machines.byId(last?.id as string)).toEqual(last);
    expect(t.users.byId(t.users.at(49_999)?.id as string)?.id).toBe(t.users.at(49_999)?.id);
    expect(t.machineVulnerabilities(last?.id as string)).toHaveLength(10);

    const truth = t.truth({ lists: false });
    expect(truth.counts.machines).toBe(100_000);
    expect(truth.counts.machineCvePairs).toBe(1_000_000);
    expect(truth.counts.cves).toBe(5_000);
    expect(truth.machineCvePairs).toBeUndefined();
    expect(t.machineVulnerabilityRows().count()).toBeGreaterThan(1_000_000);
    // Nothing per item is kept (a bound that does not depend on the garbage collector): each read
    // generates the item afresh, equal to the last read but never the same object.
    const again = t.machines.at(99_999);
    expect(again).toEqual(last);
    expect(again).not.toBe(last);
    expect(t.users.at(0)).not.toBe(t.users.at(0));

    const report = t.advance();
    expect(report.machines.onboarded).toHaveLength(1_000);
    expect(t.truth({ lists: false }).counts.machines).toBe(100_000);
  });
});
