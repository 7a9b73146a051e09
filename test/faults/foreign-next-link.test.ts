import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../store/backends.js';
import {
  proveFault,
  proveStepFails,
  startForeignServer,
  startRig,
  type FaultRig,
  type ForeignServer,
} from './harness.js';

describe.each(BACKENDS)('a nextLink to a foreign host on $name', (backend) => {
  let rig: FaultRig;
  let foreign: ForeignServer;
  beforeAll(async () => {
    rig = await startRig(backend, 'foreign-link', { seed: 22 });
    foreign = await startForeignServer(rig.te);
  });
  afterAll(async () => {
    await foreign?.close();
    await rig?.close();
  });

  it('Graph: the listing fails by name and the token never leaves the Graph origin', async () => {
    await proveStepFails(
      rig,
      {
        foreignNextLink: foreign.url,
        pageSize: 20,
        paths: ['/graph/v1.0/users'],
      },
      {
        id: 'fetch-users',
        code: 'OFF_ORIGIN',
        message: `graph GET /users: refused to send the token to ${foreign.url}, outside the configured Microsoft Graph base ${rig.te.emulator.url}/graph`,
      },
    );
    expect(foreign.received).toEqual([]);
  });

  it('Defender: the nextLink only says "more"; every page comes from the API origin', async () => {
    await proveFault(
      rig,
      () =>
        rig.te.setFaults({
          foreignNextLink: foreign.url,
          pageSize: 15,
          paths: ['/defender/api/machines', '/defender/api/vulnerabilities'],
        }),
      (outcome) => {
        expect(outcome.exitCode, JSON.stringify(outcome.steps)).toBe(0);
        expect(outcome.record.apiCalls['defender GET /api/machines']).toBe(3);
      },
    );
    expect(foreign.received).toEqual([]);
  });

  it('the foreign server is reachable with the trust the collector has (the checks above are not vacuous)', async () => {
    const res = await request(`${foreign.url}/v1.0/users`, { dispatcher: rig.te.dispatcher });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    expect(foreign.received).toEqual([{ url: '/v1.0/users', authorization: undefined }]);
    foreign.received.length = 0;
  });
});
