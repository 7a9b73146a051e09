import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InstanceConfig } from '../../src/config/instance-config.js';
import type { Entity, GraphRelationship } from '../../src/graph/types.js';
import { runQuery, type HuntingTable } from '../../src/emulator/hunting/evaluate.js';
import { parseKql, type Row } from '../../src/emulator/hunting/kql.js';
import { logonUserFromHuntingRow } from '../../src/integration/converters/logon-user-hunting.js';
import { kqlString } from '../../src/integration/steps/logon-hunting-query.js';
import { LogonUserSink } from '../../src/integration/steps/logon-user-sink.js';
import { collectLogonUsersByHunting } from '../../src/integration/steps/logon-users-hunting.js';
import type { DefenderClient } from '../../src/microsoft/defender-client.js';
import { minimumDurationMs } from '../../src/microsoft/pacing.js';

/** A tenant as accounts per device: device i has `counts[i]` accounts, each one logon event. */
function table(counts: number[]): HuntingTable {
  return {
    name: 'DeviceLogonEvents',
    columns: {
      Timestamp: 'DateTime',
      DeviceId: 'String',
      ActionType: 'String',
      LogonType: 'String',
      AccountDomain: 'String',
      AccountName: 'String',
      AccountSid: 'String',
      IsLocalAdmin: 'Boolean',
    },
    *rows(keepDevice) {
      for (const [i, n] of counts.entries()) {
        const DeviceId = deviceId(i);
        if (!keepDevice(DeviceId)) continue;
        for (let a = 0; a < n; a++)
          yield {
            Timestamp: '2026-11-01T10:00:00.0000000Z',
            DeviceId,
            ActionType: 'LogonSuccess',
            LogonType: 'Interactive',
            AccountDomain: 'CONTOSO',
            AccountName: `user${a}`,
            AccountSid: '',
            IsLocalAdmin: false,
          } satisfies Row;
      }
    },
  };
}

const deviceId = (i: number) => i.toString(16).padStart(40, '0');

/** The collector over a fake Defender client answering from the emulator's KQL evaluator. */
async function collect(counts: number[], rowLimit: number) {
  const queries: string[] = [];
  const source = table(counts);
  const defender = {
    async advancedQuery(query: string) {
      queries.push(query);
      const { results } = runQuery(parseKql(query), source);
      return { Results: results.slice(0, rowLimit) };
    },
  } as unknown as DefenderClient;
  const relationships: GraphRelationship[] = [];
  const sink = new LogonUserSink({
    addEntities: async () => undefined,
    addRelationships: async (r) => void relationships.push(...r),
    findEntity: async () => undefined,
    iterateEntities: async () => undefined,
  });
  const machines = counts.map(
    (_, i) =>
      ({
        _key: `microsoft_defender_machine:${deviceId(i)}`,
        _type: 'microsoft_defender_machine',
        _class: ['HostAgent'],
        id: deviceId(i),
      }) as Entity,
  );
  await collectLogonUsersByHunting(
    {
      defender,
      instance: { advancedHuntingRowLimit: rowLimit } as InstanceConfig,
      progress: () => undefined,
    },
    machines,
    sink,
  );
  return { queries, pairs: relationships.map((r) => String(r._key)).sort() };
}

const expectedPairs = (counts: number[]) =>
  counts
    .flatMap((n, i) =>
      Array.from(
        { length: n },
        (_, a) =>
          `microsoft_defender_machine:${deviceId(i)}|has|microsoft_defender_logon_user:contoso\\user${a}`,
      ),
    )
    .sort();

describe('device ranges under the row cap', () => {
  it('every pair exactly once, whatever the cap and the accounts per device', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 2, max: 40 })
          .chain((cap) =>
            fc.tuple(
              fc.constant(cap),
              fc.array(fc.integer({ min: 0, max: cap - 1 }), { minLength: 0, maxLength: 60 }),
            ),
          ),
        async ([cap, counts]) => {
          const { queries, pairs } = await collect(counts, cap);
          expect(pairs).toEqual(expectedPairs(counts));
          const rows = counts.reduce((a, b) => a + b, 0);
          expect(queries.length).toBeGreaterThanOrEqual(counts.length === 0 ? 0 : 1);
          // A cut answer keeps at least one whole device: never more queries than devices + 1.
          expect(queries.length).toBeLessThanOrEqual(Math.max(1, counts.length) + 1);
          if (rows < cap && counts.length > 0) expect(queries).toHaveLength(1);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a tenant under the cap is one query; one over it continues after the last whole device', async () => {
    expect((await collect([3, 3, 3], 10)).queries).toHaveLength(1);
    const { queries, pairs } = await collect([3, 3, 3, 3], 10);
    expect(pairs).toEqual(expectedPairs([3, 3, 3, 3]));
    expect(queries[0]).toContain(`DeviceId > "" and DeviceId <= "${deviceId(3)}"`);
    // The first answer (10 rows) ends inside device 3: devices 0–2 are kept, the next range starts after 2.
    expect(queries[1]).toContain(`DeviceId > "${deviceId(2)}" and DeviceId <= "${deviceId(3)}"`);
    expect(queries).toHaveLength(2);
  });

  it('a device with as many rows as the cap cannot be listed whole: the step says so', async () => {
    await expect(collect([2, 10], 10)).rejects.toThrow(
      `Advanced Hunting: device ${deviceId(1)} alone has 10 or more logon rows (the row cap); its logon users cannot be listed whole`,
    );
  });
});

describe('the query text', () => {
  it('any device id survives kqlString and the KQL tokenizer unchanged', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const query = parseKql(`DeviceLogonEvents | where DeviceId == ${kqlString(value)}`);
        expect(query.stages[0]).toEqual({
          kind: 'where',
          conditions: [{ column: 'DeviceId', op: '==', value: { literal: value } }],
        });
      }),
    );
  });
});

describe('an Advanced Hunting row in /logonusers terms', () => {
  it('cuts ticks to seconds, reads dynamic columns as arrays or JSON text, and an empty SID as none', () => {
    const row = {
      DeviceId: 'd1',
      AccountDomain: 'CONTOSO',
      AccountName: 'jdoe',
      AccountSid: '',
      FirstSeen: '2026-10-02T08:00:01.9999999Z',
      LastSeen: '2026-10-30T17:45:00.0000000Z',
      LogonTypes: '["Network","RemoteInteractive"]',
      IsLocalAdmin: 1,
    };
    expect(logonUserFromHuntingRow(row)).toEqual({
      id: 'CONTOSO\\jdoe',
      accountName: 'jdoe',
      accountDomain: 'CONTOSO',
      accountSid: null,
      firstSeen: '2026-10-02T08:00:01Z',
      lastSeen: '2026-10-30T17:45:00Z',
      logonTypes: 'Network, RemoteInteractive',
      isDomainAdmin: true,
      isOnlyNetworkUser: null,
    });
    expect(
      logonUserFromHuntingRow({
        ...row,
        AccountSid: 'S-1-5-21-1-2-3-1104',
        LogonTypes: ['Network'],
        IsLocalAdmin: null,
      }),
    ).toMatchObject({
      accountSid: 'S-1-5-21-1-2-3-1104',
      logonTypes: 'Network',
      isDomainAdmin: null,
      isOnlyNetworkUser: true,
    });
  });
});

describe('least time of paced calls', () => {
  it('call k waits ⌊k / limit⌋ windows of every quota', () => {
    const quota = [
      { limit: 100, windowMs: 60_000 },
      { limit: 1500, windowMs: 3_600_000 },
    ];
    expect(minimumDurationMs(0, quota)).toBe(0);
    expect(minimumDurationMs(100, quota)).toBe(0);
    expect(minimumDurationMs(101, quota)).toBe(60_000);
    expect(minimumDurationMs(1501, quota)).toBe(3_600_000);
    expect(minimumDurationMs(10_000, quota)).toBe(6 * 3_600_000);
  });
});
