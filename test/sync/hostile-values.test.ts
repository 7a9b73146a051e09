import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { HOSTILE_STRINGS } from '../../src/emulator/tenant/hostile-values.js';
import { runQuery } from '../../src/query/engine.js';
import { BACKENDS } from '../store/backends.js';
import { emulatorAndStore } from './emulator-store.js';
import { runCli } from './cli.js';
import { expectedFromTruth, liveKeys, storedFacts } from './graph-truth.js';
import { keys } from './expected-changes.js';

const USER = 'microsoft_defender_user';
const DEPTH = 4_000;
/**
 * User 1's jobTitle is an object 4,000 levels deep: 32 levels below the entity are kept, in the
 * property and in the raw data (which starts 3 levels down: `_rawData`, `0`, `rawData`).
 */
const DEEP_CUTS = [
  `jobTitle${'.level'.repeat(32)} (nested deeper than 32 levels)`,
  `_rawData.0.rawData.jobTitle${'.level'.repeat(29)} (nested deeper than 32 levels)`,
];

interface ListResult {
  type: 'list';
  data: { entity: { _key: string }; properties: Record<string, unknown> }[];
}

describe.each(BACKENDS)('hostile user values from the emulator on $name', (backend) => {
  const t = emulatorAndStore(backend, 'hostile', {
    hostileValues: { every: 5, fields: ['jobTitle'], depth: DEPTH },
  });

  const cli = (args: string[]) => runCli([...args, '--db', t.db.url]);

  /** What the emulator sends for each user's jobTitle: the independent truth of the values. */
  function sentTitles(): Map<string, unknown> {
    return new Map([...t.emulator.emulator.tenant.users].map((u) => [keys.user(u.id), u.jobTitle]));
  }

  /** [key, jobTitle] of every user whose jobTitle is a string. */
  function stringTitles(): [string, string][] {
    return [...sentTitles()].filter((e): e is [string, string] => typeof e[1] === 'string');
  }

  it('syncs every hostile jobTitle exactly, cuts the deep one and says so, and J1QL and exports return them', async () => {
    const first = await cli(['sync', '--config', t.config, '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'success', exitCode: 0 });
    expect(await storedFacts(t.store)).toEqual(expectedFromTruth(await t.emulator.truth()));

    const sent = sentTitles();
    const hostile = [...sent.values()].filter((t) => HOSTILE_STRINGS.includes(t as string));
    expect(hostile).toHaveLength(HOSTILE_STRINGS.length);

    const listed = await cli(['query', `FIND ${USER}`, '--json', '--limit', '1000']);
    expect(listed.code, listed.stderr).toBe(0);
    const result = JSON.parse(listed.stdout) as ListResult;
    expect(result.data).toHaveLength(sent.size);
    for (const { entity, properties } of result.data) {
      const title = sent.get(entity._key);
      if (title !== null && typeof title === 'object')
        expect(properties.truncatedPaths).toEqual(DEEP_CUTS);
      else {
        expect(properties.jobTitle).toBe(title ?? undefined);
        expect(properties.truncatedPaths).toBeUndefined();
      }
    }
    expect([...sent.values()].filter((t) => typeof t === 'object' && t !== null)).toHaveLength(1);

    // argv cannot carry a NUL, so filters on every hostile value run in-process.
    for (const title of HOSTILE_STRINGS) {
      const expected = [...sent].filter(([, t]) => t === title).map(([key]) => key);
      const found = await runQuery(t.store, `FIND ${USER} WITH jobTitle = \${param.t}`, {
        params: { t: title },
      });
      expect(found.type === 'list' && found.data.map((r) => r.entity._key)).toEqual(expected);
    }

    const jsonl = join(t.dir, 'graph.jsonl');
    const exported = await cli(['export', '--format', 'jsonl', '--output', jsonl]);
    expect(exported.code, exported.stderr).toBe(0);
    const objects = readFileSync(jsonl, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const exportedTitles = objects
      .filter((o) => o._type === USER && typeof sent.get(String(o._key)) === 'string')
      .map((o) => [o._key, o.jobTitle]);
    expect(exportedTitles.sort()).toEqual(stringTitles().sort());

    const j1 = join(t.dir, 'j1');
    const layout = await cli(['export', '--format', 'j1', '--output', j1]);
    expect(layout.code, layout.stderr).toBe(0);
    const j1Users = readdirSync(join(j1, 'graph', 'fetch-users', 'entities')).flatMap(
      (name) =>
        (
          JSON.parse(readFileSync(join(j1, 'graph', 'fetch-users', 'entities', name), 'utf8')) as {
            entities: Record<string, unknown>[];
          }
        ).entities,
    );
    expect(j1Users.filter((u) => u._type === USER)).toHaveLength(sent.size);
    const j1Titles = j1Users
      .filter((o) => o._type === USER && typeof sent.get(String(o._key)) === 'string')
      .map((o) => [
        o._key,
        o.jobTitle,
        (o._rawData as { rawData: { jobTitle: unknown } }[])[0]!.rawData.jobTitle,
      ]);
    expect(j1Titles.sort()).toEqual(
      stringTitles()
        .map(([key, title]) => [key, title, title])
        .sort(),
    );

    const csv = await cli([
      'query',
      `FIND ${USER} AS u RETURN u._key AS key, u.jobTitle AS jobTitle`,
      '--format',
      'csv',
      '--limit',
      '1000',
    ]);
    expect(csv.code, csv.stderr).toBe(0);
    const cells = new Map(
      (parse(csv.stdout, { columns: true }) as { key: string; jobTitle: string }[]).map((r) => [
        r.key,
        r.jobTitle,
      ]),
    );
    const byTitle = (title: string) => [...sent].find(([, t]) => t === title)![0];
    expect(cells.get(byTitle('=HYPERLINK("https://attacker.example","click")'))).toBe(
      `'=HYPERLINK("https://attacker.example","click")`,
    );
    expect(cells.get(byTitle('@SUM(A1:A9)'))).toBe("'@SUM(A1:A9)");
    expect(cells.get(byTitle('-2+3'))).toBe("'-2+3");
    expect(cells.get(byTitle('+1-555-0100'))).toBe("'+1-555-0100");
    expect(cells.get(byTitle('\tTabbed title'))).toBe("'\tTabbed title");
    expect(cells.get(byTitle('\rCarriage return'))).toBe("'\rCarriage return");

    const before = await liveKeys(t.store);
    const second = await cli(['sync', '--config', t.config, '--json']);
    expect(second.code, second.stderr).toBe(0);
    // Unchanged data, hostile or not, is no change: nothing created, updated or deleted.
    expect(JSON.parse(second.stdout).typeCounts).toEqual({});
    expect(await liveKeys(t.store)).toEqual(before);
    expect(await storedFacts(t.store)).toEqual(expectedFromTruth(await t.emulator.truth()));
  }, 120_000);
});
