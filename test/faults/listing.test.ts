import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../store/backends.js';
import { proveFault, startRig, type FaultRig } from './harness.js';

const MACHINES_ROUTE = 'GET /defender/api/machines';

describe.each(BACKENDS)('listing inconsistencies on $name', (backend) => {
  let rig: FaultRig;
  beforeAll(async () => {
    rig = await startRig(backend, 'listing', { seed: 28 });
  });
  afterAll(async () => rig?.close());

  it('an item repeated across two pages (Graph and Defender) is kept once', async () => {
    await proveFault(
      rig,
      () =>
        rig.te.setFaults({
          repeatAcrossPages: true,
          pageSize: 15,
          paths: ['/graph/v1.0/users', '/graph/v1.0/groups', '/defender/api/machines'],
        }),
      (outcome) => {
        expect(outcome.exitCode, JSON.stringify(outcome.steps)).toBe(0);
      },
    );
  });

  it('an item moving between Defender pages while listing: the listing starts again, nothing is missed', async () => {
    await proveFault(
      rig,
      async () => {
        await rig.te.setFaults({
          moveDuringListing: true,
          pageSize: 15,
          paths: ['/defender/api/machines'],
        });
        await rig.te.resetStats();
      },
      async (outcome) => {
        expect(outcome.exitCode, JSON.stringify(outcome.steps)).toBe(0);
        // 40 machines by 15, each next page one row early: the second page shows the move, so
        // the listing starts again and takes its three pages: 2 + 3 requests.
        expect((await rig.te.stats()).requests[MACHINES_ROUTE]).toEqual({ '200': 5 });
      },
    );
  });

  it('a wrong @odata.count changes nothing: counts come from the items', async () => {
    await proveFault(
      rig,
      () => rig.te.setFaults({ wrongCountBy: 7, pageSize: 15 }),
      (outcome) => {
        expect(outcome.exitCode, JSON.stringify(outcome.steps)).toBe(0);
      },
    );
  });
});
