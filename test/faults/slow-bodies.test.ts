import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultSettings } from '../../src/emulator/faults.js';
import { BACKENDS } from '../store/backends.js';
import { expectStepFailed, proveFault, startRig, type FaultRig } from './harness.js';

const VULNERABILITIES = ['/defender/api/vulnerabilities'];
/** A two-second client deadline, set in the instance's config as a user would. */
const SHORT = { http: { maxRetries: 2, timeoutSeconds: 2 } };

/** Bodies that do not arrive whole within the deadline. */
const TOO_SLOW: [string, FaultSettings][] = [
  ['a body that trickles past the deadline', { trickle: { chunkBytes: 64, intervalMs: 100 } }],
  ['a connection that stalls mid-body', { stallAfterBytes: 100 }],
];

describe.each(BACKENDS)(
  'slow and stalled bodies against the client timeout on $name',
  (backend) => {
    let rig: FaultRig;
    beforeAll(async () => {
      rig = await startRig(backend, 'slow-bodies', { seed: 27 }, SHORT);
    });
    afterAll(async () => rig?.close());

    it.each(TOO_SLOW)('%s times out, is retried, then fails the step by name', async (_, fault) => {
      await proveFault(
        rig,
        () => rig.te.setFaults({ ...fault, paths: VULNERABILITIES }),
        (outcome) => {
          expectStepFailed(
            outcome,
            'fetch-vulnerabilities',
            'TIMEOUT',
            'defender GET /api/vulnerabilities: no complete response within 2000 ms',
          );
          expect(outcome.waits).toHaveLength(2);
        },
      );
    });

    it('a body that trickles but ends within the deadline is read whole', async () => {
      await proveFault(
        rig,
        () =>
          rig.te.setFaults({
            trickle: { chunkBytes: 8192, intervalMs: 20 },
            paths: VULNERABILITIES,
          }),
        (outcome) => {
          expect(outcome.exitCode, JSON.stringify(outcome.steps)).toBe(0);
          expect(outcome.waits).toEqual([]);
        },
      );
    });
  },
);
