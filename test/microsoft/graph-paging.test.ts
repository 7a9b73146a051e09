import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryGraphObjectStore, runIntegration } from '../../src/integration/index.js';
import { MicrosoftApiError } from '../../src/microsoft/errors.js';
import { createMicrosoftClients, type MicrosoftClients } from '../../src/microsoft/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

/** Requests the emulator answered on `route`, by status. */
async function answered(te: TestEmulator, route: string): Promise<Record<string, number>> {
  const { requests } = await te.stats();
  return requests[route] ?? {};
}

const USERS_ROUTE = 'GET /graph/v1.0/users';

describe('Graph paging when a page token expires (emulator fault expireGraphPageTokens)', () => {
  let te: TestEmulator;
  let clients: MicrosoftClients;
  let userIds: string[];
  beforeAll(async () => {
    // 1,100 users: two pages of at most 999, so the second page needs a $skiptoken.
    te = await startTestEmulator({ seed: 4, users: 1_100 });
    clients = createMicrosoftClients(te.config);
    userIds = (await te.truth()).users!;
  });
  afterAll(async () => {
    await clients?.close();
    await te?.close();
  });

  it('restarts the listing from the first page once and then lists every user', async () => {
    await te.setFaults({ expireGraphPageTokens: true });
    await te.resetStats();
    const pages: string[][] = [];
    try {
      for await (const page of clients.graph.users()) {
        pages.push(page.map((u) => u.id));
        // The restarted first page has arrived: let the next page token through.
        if (pages.length === 2) await te.clearFaults();
      }
    } finally {
      await te.clearFaults();
    }
    expect(pages.map((p) => p.length)).toEqual([999, 999, 101]);
    expect(pages[1]).toEqual(pages[0]);
    expect(new Set(pages.flat())).toEqual(new Set(userIds));
    expect(await answered(te, USERS_ROUTE)).toEqual({ '200': 3, '400': 1 });
  });

  it('fails with the expired-page-token error when the token expires again after the restart', async () => {
    await te.setFaults({ expireGraphPageTokens: true });
    await te.resetStats();
    try {
      const error = await (async () => {
        for await (const page of clients.graph.users()) void page;
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MicrosoftApiError);
      expect((error as MicrosoftApiError).serviceCode).toBe('Directory_ExpiredPageToken');
      expect((error as Error).message).toContain(
        'the page token expired again after the listing restarted from the first page',
      );
      expect(await answered(te, USERS_ROUTE)).toEqual({ '200': 2, '400': 2 });
    } finally {
      await te.clearFaults();
    }
  });

  it('a restarted listing emits no user twice: the users step drops what it already has', async () => {
    await te.setFaults({ expireGraphPageTokens: true, paths: ['/graph/v1.0/users'] });
    try {
      const store = new MemoryGraphObjectStore();
      const result = await runIntegration({ instance: { ...te.config, quotaScale: 1000 }, store });
      const users = result.stepResults.find((r) => r.id === 'fetch-users')!;
      expect(users.status).toBe('failure');
      expect(users.error?.message).toContain('Directory_ExpiredPageToken');
      // The restart yielded the first page twice before failing; the step kept one copy each.
      const keys = store.entities('microsoft_defender_user').map((u) => u._key);
      expect(keys).toHaveLength(999);
      expect(new Set(keys).size).toBe(999);
    } finally {
      await te.clearFaults();
    }
  });
});
