import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEndpoints } from '../../src/config/load.js';
import { faultsSchema } from '../../src/emulator/faults.js';
import { TOKEN_FAILURES, type TokenFailure } from '../../src/emulator/faults/identity.js';
import { MicrosoftApiError } from '../../src/microsoft/errors.js';
import { TokenProvider } from '../../src/microsoft/tokens.js';
import { BACKENDS } from '../store/backends.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { runCli, writeConfig } from '../sync/cli.js';
import { proveFault, startRig, type FaultRig } from './harness.js';

const GRAPH = 'https://graph.microsoft.com';

/** What each tenant-side refusal must say: the AADSTS code and what to do about it. */
const REFUSALS: Record<TokenFailure, { status: number; aadsts: string }> = {
  appDisabled: {
    status: 400,
    aadsts:
      'AADSTS7000112: the application is disabled in the tenant: re-enable its enterprise application',
  },
  consentWithdrawn: {
    status: 400,
    aadsts:
      'AADSTS65001: admin consent for the application was withdrawn: grant admin consent again',
  },
  conditionalAccess: {
    status: 400,
    aadsts: 'AADSTS53003: a Conditional Access policy blocks token issuance for this application',
  },
  throttled: {
    status: 429,
    aadsts: 'AADSTS90055: the token endpoint is throttling requests: wait and retry later',
  },
};

describe.each(BACKENDS)('token endpoint and token faults on $name', (backend) => {
  let rig: FaultRig;
  let host: string;
  beforeAll(async () => {
    rig = await startRig(backend, 'identity', { seed: 24 });
    host = new URL(rig.te.emulator.url).host;
  });
  afterAll(async () => rig?.close());

  it.each(TOKEN_FAILURES)(
    '%s: every step fails naming the host and the AADSTS code',
    async (failure) => {
      await proveFault(
        rig,
        () => rig.te.setFaults({ tokenFailure: failure }),
        (outcome) => {
          expect(outcome.exitCode).toBe(1);
          expect(outcome.record.status).toBe('failed');
          const { status, aadsts } = REFUSALS[failure];
          expect(outcome.steps['fetch-users']).toEqual({
            status: 'failure',
            code: aadsts.split(':')[0],
            message: `cannot get a token for ${GRAPH} from login host ${host}: POST /${rig.te.emulator.tenantId}/oauth2/v2.0/token answered HTTP ${status}, ${aadsts}`,
          });
        },
      );
    },
  );

  it('the secret revoked mid-run: the steps that need a new token fail with AADSTS7000215, nothing is lost', async () => {
    const outcome = await proveFault(
      rig,
      async () => undefined,
      (result) => {
        expect(result.exitCode).toBe(3);
        const failed = Object.entries(result.steps).filter(([, s]) => s.status === 'failure');
        expect(failed.map(([id]) => id)).toContain('fetch-logon-users');
        for (const [, step] of failed)
          expect(step.message).toMatch(
            new RegExp(
              `^cannot get a token for https://\\S+ from login host ${host}: POST /${rig.te.emulator.tenantId}/oauth2/v2.0/token answered HTTP 401, AADSTS7000215: the client secret is wrong \\(use the secret value, not its id\\)$`,
            ),
          );
      },
      {
        // Revoking the secret and the tokens it got, once the machines are listed.
        onStepStart: (step) => {
          if (step === 'fetch-logon-users')
            rig.te.emulator.faults.set(
              faultsSchema.parse({ revokeSecret: true, rejectIssuedTokens: true }),
            );
        },
      },
    );
    expect(outcome.steps['fetch-machines']!.status).toBe('success');
  });

  it('a token rejected with 401 before its expiry is renewed once and the sync completes', async () => {
    await proveFault(
      rig,
      () => rig.te.resetStats(),
      async (outcome) => {
        expect(outcome.exitCode, JSON.stringify(outcome.steps)).toBe(0);
        const { requests } = await rig.te.stats();
        const refused = Object.values(requests).reduce(
          (n, byStatus) => n + (byStatus['401'] ?? 0),
          0,
        );
        expect(refused).toBeGreaterThan(0);
      },
      {
        onStepStart: (step) => {
          if (step === 'fetch-logon-users')
            rig.te.emulator.faults.set(faultsSchema.parse({ rejectIssuedTokens: true }));
        },
      },
    );
  });
});

describe('identity errors are unwrapped into host, status or cause, and AADSTS code', () => {
  let te: TestEmulator;
  let host: string;
  beforeAll(async () => {
    te = await startTestEmulator({ seed: 25 });
    host = new URL(te.emulator.url).host;
  });
  afterAll(async () => te?.close());

  const tokenError = async (overrides: Record<string, unknown> = {}) => {
    const instance = { ...te.config, ...overrides };
    const endpoints = resolveEndpoints(instance);
    const error = await new TokenProvider(instance, endpoints, endpoints.graphScope, te.dispatcher)
      .getToken()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MicrosoftApiError);
    return error as MicrosoftApiError;
  };

  it('discovery answering 503', async () => {
    await te.setFaults({ rate5xx: 1, paths: [`/${te.emulator.tenantId}/v2.0/.well-known`] });
    try {
      const error = await tokenError();
      expect(error.message).toBe(
        `cannot get a token for ${GRAPH} from login host ${host}: HTTP 503 from GET /${te.emulator.tenantId}/v2.0/.well-known/openid-configuration, The service is temporarily unavailable.`,
      );
      expect(error.message).not.toContain('endpoints_resolution_error');
    } finally {
      await te.clearFaults();
    }
  });

  it('a tenant id that does not exist', async () => {
    const tenantId = '00000000-0000-4000-8000-000000000000';
    const error = await tokenError({ tenantId });
    expect(error.code).toBe('AADSTS90002');
    expect(error.message).toBe(
      `cannot get a token for ${GRAPH} from login host ${host}: HTTP 400 from GET /${tenantId}/v2.0/.well-known/openid-configuration, AADSTS90002: the tenant does not exist`,
    );
  });

  it('a login host that does not answer', async () => {
    const error = await tokenError({
      endpoints: { ...te.config.endpoints, authority: 'https://127.0.0.1:9' },
    });
    expect(error.code).toBe('TOKEN_FAILED');
    expect(error.message).toMatch(
      /^cannot get a token for https:\/\/graph\.microsoft\.com from login host 127\.0\.0\.1:9: unreachable \(ECONNREFUSED: connect ECONNREFUSED 127\.0\.0\.1:9\)$/,
    );
  });
});

describe('the CLI names the identity failure (validate)', () => {
  let te: TestEmulator;
  let dir: string;
  beforeAll(async () => {
    te = await startTestEmulator({ seed: 33 });
    dir = mkdtempSync(join(tmpdir(), 'dg-identity-cli-'));
  });
  afterAll(async () => {
    await te?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a wrong tenant id: exit 1, host, status and AADSTS code on both tokens, not MSAL text', async () => {
    const tenantId = '00000000-0000-4000-8000-000000000001';
    const config = writeConfig(dir, { ...te.config, tenantId });
    const result = await runCli(['validate', '--config', config]);
    expect(result.code, result.stderr).toBe(1);
    const host = new URL(te.emulator.url).host;
    const reason = (resource: string) =>
      `cannot get a token for ${resource} from login host ${host}: HTTP 400 from GET /${tenantId}/v2.0/.well-known/openid-configuration, AADSTS90002: the tenant does not exist`;
    expect(result.stdout).toContain(`Microsoft Graph token: FAILED: ${reason(GRAPH)}`);
    expect(result.stdout).toContain(
      `Defender token: FAILED: ${reason('https://api.securitycenter.microsoft.com')}`,
    );
    expect(result.stdout + result.stderr).not.toContain('endpoints_resolution_error');
  });
});
