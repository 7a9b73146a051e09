import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../store/backends.js';
import { proveFault, proveStepFails, startRig, type FaultRig } from './harness.js';

const USERS_ROUTE = 'GET /graph/v1.0/users';

describe.each(BACKENDS)('Graph page tokens that expire, on $name', (backend) => {
  let rig: FaultRig;
  beforeAll(async () => {
    rig = await startRig(backend, 'page-tokens', { seed: 23 });
  });
  afterAll(async () => rig?.close());

  it('a token that expires once: the listing starts again and the sync is complete', async () => {
    await proveFault(
      rig,
      async () => {
        await rig.te.setFaults({
          expireGraphPageTokens: 1,
          pageSize: 20,
          paths: ['/graph/v1.0/users'],
        });
        await rig.te.resetStats();
      },
      async (outcome) => {
        expect(outcome.exitCode, JSON.stringify(outcome.steps)).toBe(0);
        // 60 users by 20: page 1, page 2 expired, then pages 1, 2 and 3 again.
        expect((await rig.te.stats()).requests[USERS_ROUTE]).toEqual({ '200': 4, '400': 1 });
      },
    );
  });

  it('a token that always expires: fetch-users fails by name and no user is deleted', async () => {
    await proveStepFails(
      rig,
      {
        expireGraphPageTokens: true,
        pageSize: 20,
        paths: ['/graph/v1.0/users'],
      },
      {
        id: 'fetch-users',
        code: 'BAD_REQUEST',
        message:
          'graph GET /users: HTTP 400: Directory_ExpiredPageToken The specified page token value has expired and can no longer be included in your request. (the page token expired again after the listing restarted from the first page)',
      },
    );
  });
});
