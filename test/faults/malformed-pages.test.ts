import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MALFORMED_KINDS, type MalformedKind } from '../../src/emulator/faults/responses.js';
import { BACKENDS } from '../store/backends.js';
import { runCli, writeConfig } from '../sync/cli.js';
import { expectStepFailed, proveFault, startRig, type FaultRig } from './harness.js';

const LOGON_USERS = 'defender GET /api/machines/{id}/logonusers';

/** What the failed step says for each malformed kind (independent of the code's wording helpers). */
const EXPECTED: Record<MalformedKind, { code: string; message: string }> = {
  'value-missing': {
    code: 'BAD_RESPONSE',
    message: `${LOGON_USERS}: malformed response, "value" is missing (an array of items was expected)`,
  },
  'value-null': {
    code: 'BAD_RESPONSE',
    message: `${LOGON_USERS}: malformed response, "value" is null (an array of items was expected)`,
  },
  'value-string': {
    code: 'BAD_RESPONSE',
    message: `${LOGON_USERS}: malformed response, "value" is a string (an array of items was expected)`,
  },
  'value-object': {
    code: 'BAD_RESPONSE',
    message: `${LOGON_USERS}: malformed response, "value" is an object (an array of items was expected)`,
  },
  'not-json': {
    code: 'BAD_RESPONSE',
    message: `${LOGON_USERS}: malformed response, body is not JSON: "Service unavailable. Request id https://api.securitycenter.microsoft.com/api/$me…"`,
  },
  html: {
    code: 'BAD_RESPONSE',
    message: `${LOGON_USERS}: malformed response, text/html; charset=utf-8 body: an HTML page titled "200 OK", not the API's JSON`,
  },
  truncated: {
    code: 'TRUNCATED',
    message: `${LOGON_USERS}: malformed response, the body was cut off`,
  },
};

describe.each(BACKENDS)('malformed 200 answers on $name', (backend) => {
  let rig: FaultRig;
  beforeAll(async () => {
    rig = await startRig(backend, 'malformed', { seed: 21, groups: 30 });
  });
  afterAll(async () => rig?.close());

  it.each(MALFORMED_KINDS)(
    'a logon-users page with %s fails its step by name and deletes nothing',
    async (kind) => {
      await proveFault(
        rig,
        () =>
          rig.te.setFaults({ malformed: { kind, rate: 1 }, paths: ['/defender/api/machines/'] }),
        (outcome) => {
          expect(outcome.exitCode).toBe(3);
          expect(outcome.record.status).toBe('partial');
          const step = outcome.steps['fetch-logon-users']!;
          expect(step.status).toBe('failure');
          expect(step.code).toBe(EXPECTED[kind].code);
          if (kind === 'truncated')
            expect(step.message).toMatch(
              /^.+: malformed response, the body was cut off \(.+\)$|^.+JSON body cut off after \d+ bytes$/,
            );
          else expect(step.message).toBe(EXPECTED[kind].message);
          // Only a cut-off body is retried (as a transport fault); a wrong body would come again.
          const retried = outcome.warnings.filter((w) => w.startsWith('retrying')).length;
          expect(retried > 0).toBe(kind === 'truncated');
          expect(outcome.record.partialTypes.map((p) => p.type)).toContain(
            'microsoft_defender_machine_has_logon_user',
          );
        },
      );
    },
  );

  it('one group-members page in ten without "value" fails fetch-groups; no membership is lost', async () => {
    await proveFault(
      rig,
      () =>
        rig.te.setFaults({
          malformed: { kind: 'value-missing', rate: 0.1 },
          paths: ['/graph/v1.0/groups/'],
        }),
      (outcome) => {
        expectStepFailed(
          outcome,
          'fetch-groups',
          'BAD_RESPONSE',
          'graph GET /groups/{id}/members: malformed response, "value" is missing (an array of items was expected)',
        );
        expect(outcome.steps['fetch-users']!.status).toBe('success');
      },
    );
  });

  it('the CLI: `sync --json` exits 3 and names the endpoint and what was wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dg-malformed-cli-'));
    try {
      const config = writeConfig(dir, rig.instance);
      await proveFault(
        rig,
        () =>
          rig.te.setFaults({
            malformed: { kind: 'value-null' },
            paths: ['/defender/api/machines/'],
          }),
        async () => {
          const result = await runCli(['sync', '--config', config, '--db', rig.url, '--json']);
          expect(result.code, result.stderr).toBe(3);
          const record = JSON.parse(result.stdout) as {
            status: string;
            stepResults: { id: string; status: string; error?: { message: string } }[];
          };
          expect(record.status).toBe('partial');
          expect(record.stepResults.find((s) => s.id === 'fetch-logon-users')).toMatchObject({
            status: 'failure',
            error: { message: EXPECTED['value-null'].message },
          });
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
