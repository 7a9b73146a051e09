import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveEndpoints } from '../../src/config/load.js';
import { MicrosoftApiError } from '../../src/microsoft/errors.js';
import { TokenProvider } from '../../src/microsoft/tokens.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

/** Token requests the emulator has answered, by status. */
async function tokenRequests(te: TestEmulator): Promise<Record<string, number>> {
  const { requests } = await te.stats();
  const route = Object.keys(requests).find((r) => r.includes('oauth2/v2.0/token'));
  return route ? requests[route]! : {};
}

describe('tokens from the emulator (real client-credential flow over TLS)', () => {
  let te: TestEmulator;
  beforeAll(async () => {
    te = await startTestEmulator({ seed: 2, tokenLifetimeSeconds: 2 });
  });
  afterAll(async () => te?.close());
  afterEach(() => vi.useRealTimers());

  const provider = (overrides = {}) => {
    const instance = { ...te.config, ...overrides };
    const endpoints = resolveEndpoints(instance);
    return new TokenProvider(instance, endpoints, endpoints.defenderScope, te.dispatcher);
  };

  it('caches a token and renews it before a short lifetime ends', async () => {
    await te.resetStats();
    // Only Date is faked: the client and the in-process emulator share the moved clock, while
    // sockets and timers run for real.
    vi.useFakeTimers({ toFake: ['Date'] });
    const tokens = provider();
    const first = await tokens.getToken();
    expect(await tokens.getToken()).toBe(first);
    expect((await tokenRequests(te))['200']).toBe(1);
    // Past half the 2 s lifetime, allowing for MSAL keeping expiry in whole seconds.
    vi.setSystemTime(Date.now() + 1_700);
    const renewed = await tokens.getToken();
    expect(renewed).not.toBe(first);
    expect((await tokenRequests(te))['200']).toBe(2);
  });

  it('names the AADSTS code and its meaning for an expired secret and an unknown client', async () => {
    const { clientId, clientSecret: secret } = te.emulator.expiredSecretApp;
    const expired = await provider({ clientId, clientSecret: secret })
      .getToken()
      .catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(MicrosoftApiError);
    expect((expired as Error).message).toContain('AADSTS7000222: the client secret has expired');
    expect((expired as Error).message).not.toContain(secret);
    const unknown = await provider({ clientId: '00000000-0000-0000-0000-000000000000' })
      .getToken()
      .catch((e: unknown) => e);
    expect((unknown as MicrosoftApiError).code).toBe('AADSTS700016');
  });
});
