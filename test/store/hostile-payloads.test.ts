import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserEntity } from '../../src/integration/converters/user.js';
import {
  createDeviceEntity,
  createMachineEntity,
} from '../../src/integration/converters/machine.js';
import { boundObjects } from '../../src/integration/bounded-object.js';
import type { DefenderMachine, GraphUser } from '../../src/microsoft/types.js';
import type { Relationship } from '../../src/graph/types.js';
import { runQuery } from '../../src/query/engine.js';
import { toCsv } from '../../src/query/results.js';
import { exportCsv, exportJsonl } from '../../src/store/export.js';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { BACKENDS } from './backends.js';
import { MACHINE, run, step, USER } from './fixtures.js';

const DEVICE = 'user_endpoint';

/**
 * Properties: random valid-but-unusual Graph users and Defender machines (missing and null
 * optional fields, NUL, lone surrogates, noncharacters, formula starts, huge strings, deep nesting,
 * hostile ids) go through the converters and a real commit; every string comes back exactly from
 * J1QL, its filters, history and the exports.
 */

const SPECIAL_UNITS = [
  '\u0000',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '\ufdd0',
  '\ufdd1',
  '\ufdef',
  '\ufffd',
  '=',
  '+',
  '-',
  '@',
  '\t',
  '\r',
  '\n',
  '"',
  ',',
  "'",
  '\\',
  '😀',
  'é',
];

const unit = fc.oneof(
  fc.constantFrom(...SPECIAL_UNITS),
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.constantFrom('a', 'b', ' '),
);
const oddString = fc.string({ unit, maxLength: 24 });
const hugeString = fc
  .tuple(oddString, fc.integer({ min: 20_000, max: 200_000 }))
  .map(([edge, length]) => `${edge}${'ü'.repeat(length)}${edge}`);
const value = fc.oneof(
  { weight: 6, arbitrary: oddString },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/** `{ a: { a: … 'leaf' } }` with `depth` objects. */
function nested(depth: number): unknown {
  let inner: unknown = 'leaf';
  for (let i = 0; i < depth; i++) inner = { a: inner };
  return inner;
}

const userArb = fc.record(
  {
    // Keys are built from ids: an id is as hostile as any other string.
    id: fc.oneof(
      fc.uuid(),
      oddString.filter((id) => id.length > 0),
    ),
    displayName: value,
    jobTitle: value,
    department: value,
    givenName: value,
    mail: value,
    otherMails: fc.oneof(fc.constant(null), fc.array(oddString, { maxLength: 3 })),
    accountEnabled: fc.oneof(fc.boolean(), fc.constant(null)),
    userType: fc.constantFrom('Member', 'Guest', null),
    extensionAttributes: fc.oneof(
      fc.constant(undefined),
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 30, max: 6_000 }),
    ),
  },
  { requiredKeys: ['id'] },
);

const machineArb = fc.record(
  {
    id: fc.stringMatching(/^[0-9a-f]{40}$/),
    computerDnsName: value,
    osPlatform: value,
    osVersion: value,
    rbacGroupName: value,
    riskScore: value,
    healthStatus: fc.constantFrom('Active', 'Inactive', null, 'ImpairedCommunication'),
    firstSeen: fc.oneof(
      fc.constant(null),
      oddString,
      fc.date().map((d) => d.toISOString()),
    ),
    lastSeen: fc.oneof(fc.constant(null), oddString),
    osBuild: fc.oneof(fc.constant(null), fc.integer()),
    rbacGroupId: fc.oneof(fc.constant(null), fc.integer(), oddString),
    isAadJoined: fc.oneof(fc.boolean(), fc.constant(null)),
    machineTags: fc.oneof(fc.constant(null), fc.array(oddString, { maxLength: 4 })),
    ipAddresses: fc.oneof(
      fc.constant(null),
      fc.array(
        fc.record(
          { ipAddress: value, macAddress: value, type: value, operationalStatus: value },
          { requiredKeys: [] },
        ),
        { maxLength: 3 },
      ),
    ),
    vmMetadata: fc.oneof(fc.constant(null), fc.record({ vmId: value, cloudProvider: value })),
  },
  { requiredKeys: ['id'] },
);

type Generated = typeof userArb extends fc.Arbitrary<infer T> ? T : never;

function graphUser(generated: Generated): GraphUser {
  const { extensionAttributes, ...fields } = generated;
  const user: Record<string, unknown> = { ...fields };
  if (extensionAttributes !== undefined)
    user.onPremisesExtensionAttributes = nested(extensionAttributes);
  return user as unknown as GraphUser;
}

/** The raw-data path of the first object cut at the depth limit (32 levels below the entity). */
const DEEP_CUT = `_rawData.0.rawData.onPremisesExtensionAttributes${'.a'.repeat(29)} (nested deeper than 32 levels)`;

const SELF_LINK = 'microsoft_defender_user_has_user';

/** A relationship whose key and endpoints carry the user's (possibly hostile) id. */
function selfLink(user: GraphUser): Relationship {
  const key = `${USER}:${user.id}`;
  return {
    _key: `${key}|has|${key}`,
    _type: SELF_LINK,
    _class: 'HAS',
    _fromEntityKey: key,
    _toEntityKey: key,
  };
}

/** Code points, so a needle never splits a surrogate pair: containment as a person means it. */
function codePointsInclude(haystack: string, needle: string): boolean {
  const h = Array.from(haystack);
  const n = Array.from(needle);
  for (let i = 0; i + n.length <= h.length; i++) if (n.every((c, j) => h[i + j] === c)) return true;
  return false;
}

/**
 * A CSV cell is UTF-8 text, which cannot hold an unpaired surrogate: it becomes U+FFFD there (the
 * JSON outputs keep it). A formula start gets a leading quote (OWASP).
 */
function expectedCsvCell(text: string): string {
  const utf8 = Buffer.from(text, 'utf8').toString('utf8');
  return /^[=+\-@\t\r]/.test(utf8) ? `'${utf8}` : utf8;
}

describe.each(BACKENDS)('hostile API payloads on $name', (backend) => {
  let store: GraphStore;
  let drop: () => Promise<void>;
  let dir: string;
  let n = 0;

  beforeAll(async () => {
    const db = await backend.create('payloads');
    drop = db.drop;
    store = await openGraphStore(db.url);
    dir = mkdtempSync(join(tmpdir(), 'dg-payloads-'));
  });
  afterAll(async () => {
    await store.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function keysWhere(instance: string, filter: string, t: string): Promise<string[]> {
    const result = await runQuery(store, `FIND ${USER} WITH ${filter} \${param.t}`, {
      instance,
      params: { t },
      defaultLimit: 1000,
    });
    if (result.type !== 'list') throw new Error(`expected a list, got ${result.type}`);
    return result.data.map((r) => String(r.entity._key)).sort();
  }

  it('stores every string exactly and returns it unchanged from J1QL, filters and exports', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(userArb, {
          minLength: 1,
          maxLength: 6,
          // Unique also as UTF-8, so the CSV check can find each user by its id cell.
          selector: (u) => Buffer.from(u.id, 'utf8').toString('utf8'),
        }),
        async (generated) => {
          const instance = `payloads-${++n}`;
          const users = generated.map(graphUser);
          const session = await store.beginSync(instance);
          await session.addEntities('fetch-users', boundObjects(users.map(createUserEntity)));
          await session.addRelationships('fetch-users', users.map(selfLink));
          const record = await session.commit(run([step('fetch-users', [USER, SELF_LINK])]));
          expect(record.status).toBe('success');
          expect(record.typeCounts[USER]).toEqual({
            created: users.length,
            updated: 0,
            deleted: 0,
          });
          const history = await store.history(`${USER}:${users[0]!.id}`);
          expect(history.map((v) => [v.object._key, v.object._version])).toEqual([
            [`${USER}:${users[0]!.id}`, 1],
          ]);
          const linked = await runQuery(
            store,
            `FIND ${USER} AS a THAT HAS ${USER} AS b RETURN a._key AS key`,
            {
              instance,
              defaultLimit: 1000,
            },
          );
          expect(linked.type === 'table' && linked.data.map((r) => r.key).sort()).toEqual(
            users.map((u) => `${USER}:${u.id}`).sort(),
          );

          const listed = await runQuery(store, `FIND ${USER}`, { instance, defaultLimit: 1000 });
          if (listed.type !== 'list') throw new Error('expected a list');
          const byId = new Map(listed.data.map((r) => [String(r.properties.id), r.properties]));
          expect([...byId.keys()].sort()).toEqual(users.map((u) => u.id).sort());
          for (const [i, user] of users.entries()) {
            const properties = byId.get(user.id)!;
            expect(properties.jobTitle).toBe(user.jobTitle ?? undefined);
            expect(properties.department).toBe(user.department ?? undefined);
            expect(properties.displayName).toBe(user.displayName ?? user.id);
            const depth = generated[i]!.extensionAttributes ?? 0;
            expect(properties.truncatedPaths).toEqual(depth >= 30 ? [DEEP_CUT] : undefined);
          }

          const titles = users.map((u) => u.jobTitle).filter((t) => typeof t === 'string');
          for (const title of titles.slice(0, 2)) {
            const same = users.filter((u) => u.jobTitle === title).map((u) => `${USER}:${u.id}`);
            expect(await keysWhere(instance, 'jobTitle =', title)).toEqual(same.sort());
            const part = Array.from(title).slice(1, 4).join('');
            const containing = users
              .filter((u) => typeof u.jobTitle === 'string' && codePointsInclude(u.jobTitle, part))
              .map((u) => `${USER}:${u.id}`);
            expect(await keysWhere(instance, 'jobTitle ~=', part)).toEqual(containing.sort());
          }

          const instanceId = (await store.findInstance(instance))!.id;
          const jsonl = join(dir, `${instance}.jsonl`);
          await exportJsonl(store, jsonl, { instanceId });
          const exported = readFileSync(jsonl, 'utf8')
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as Record<string, unknown>);
          const exportedById = new Map(exported.map((o) => [String(o.id), o]));
          expect(
            exported
              .filter((o) => o._type === SELF_LINK)
              .map((o) => [o._key, o._fromEntityKey, o._toEntityKey])
              .sort(),
          ).toEqual(
            users
              .map((u) => selfLink(u))
              .map((r) => [r._key, r._fromEntityKey, r._toEntityKey])
              .sort(),
          );
          for (const user of users)
            expect(exportedById.get(user.id)!.jobTitle).toBe(user.jobTitle ?? undefined);

          const csvFile = join(dir, `${instance}.csv`);
          await exportCsv(store, csvFile, { instanceId });
          const rows = parse(readFileSync(csvFile), { columns: true }) as Record<string, string>[];
          const csvById = new Map(
            rows.map((row) => {
              const properties = JSON.parse(row.properties!) as Record<string, unknown>;
              return [String(properties.id), properties];
            }),
          );
          for (const user of users)
            expect(csvById.get(user.id)!.jobTitle).toBe(user.jobTitle ?? undefined);

          const table = await runQuery(
            store,
            `FIND ${USER} AS u RETURN u.id AS id, u.jobTitle AS jobTitle`,
            { instance, defaultLimit: 1000 },
          );
          const cells = parse(toCsv(table), { columns: true }) as Record<string, string>[];
          for (const user of users) {
            const row = cells.find((c) => c.id === expectedCsvCell(user.id))!;
            expect(row.jobTitle).toBe(
              typeof user.jobTitle === 'string' ? expectedCsvCell(user.jobTitle) : '',
            );
          }
        },
      ),
      { numRuns: 12, seed: 20261130 },
    );
  }, 120_000);

  it('converts and commits machines with unusual, null and missing fields, every string kept', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(machineArb, { minLength: 1, maxLength: 6, selector: (m) => m.id }),
        async (generated) => {
          const instance = `machines-${++n}`;
          const machines = generated as unknown as DefenderMachine[];
          const session = await store.beginSync(instance);
          await session.addEntities(
            'fetch-machines',
            boundObjects(machines.flatMap((m) => [createMachineEntity(m), createDeviceEntity(m)])),
          );
          const record = await session.commit(run([step('fetch-machines', [MACHINE, DEVICE])]));
          expect(record.status).toBe('success');
          expect(record.typeCounts[MACHINE]).toEqual({
            created: machines.length,
            updated: 0,
            deleted: 0,
          });
          const listed = await runQuery(store, `FIND ${MACHINE}`, { instance, defaultLimit: 1000 });
          if (listed.type !== 'list') throw new Error('expected a list');
          const byId = new Map(listed.data.map((r) => [String(r.properties.id), r.properties]));
          for (const machine of machines) {
            const properties = byId.get(machine.id)!;
            expect(properties.computerDnsName).toBe(machine.computerDnsName ?? undefined);
            expect(properties.osPlatform).toBe(machine.osPlatform ?? undefined);
            expect(properties.rbacGroupName).toBe(machine.rbacGroupName ?? undefined);
            // Defender sends an empty-string tag for a cleared tag; the converter drops blank tags.
            expect(properties.machineTags).toEqual(
              machine.machineTags?.filter((t) => t.trim() !== ''),
            );
          }
        },
      ),
      { numRuns: 12, seed: 20261130 },
    );
  }, 120_000);
});
