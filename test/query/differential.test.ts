import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTwoBackends, type TwoBackends } from './two-backends.js';

/**
 * Generated J1QL over the fixture graph, run on SQLite and PostgreSQL: every query must give the
 * same answer (same rows in the same order) or the same J1QL error on both.
 */
const selectors = [
  '*',
  'User',
  'HostAgent',
  'Finding',
  'Device',
  'UserGroup',
  'microsoft_defender_logon_user',
  'microsoft_defender_user',
  '(HostAgent|user_endpoint)',
];
const properties = [
  'displayName',
  'osPlatform',
  'riskScore',
  'ipAddress',
  'email',
  'cvssScore',
  'rbacGroupId',
  'active',
  'machineTags',
  'lastSeenOn',
  'tags',
  'severity',
  'accountName',
  '_key',
  '_type',
  '_class',
  'tag.AccountName',
];
const values = [
  "'High'",
  "'ws-001'",
  "'Windows10'",
  "'alice@corp.example'",
  "'10.0.0.1'",
  "'corp\\alice'",
  "'User'",
  "'CriticalAsset'",
  "'prod'",
  '7',
  '9.8',
  '5',
  'true',
  'false',
  'undefined',
  '/^ws-\\d+$/',
  '/\\balice/i',
  '/[.]example$/',
  '/^(?!srv)/',
  '/\\s/',
  'date.now - 7 days',
  "('Linux' OR 'Windows11')",
  "('10.0.0.1' AND '192.168.1.5')",
];
const operators = ['=', '!=', '>', '<', '>=', '<=', '~=', '!~=', '^=', '$='];

const comparison = fc
  .tuple(fc.constantFrom(...properties), fc.constantFrom(...operators), fc.constantFrom(...values))
  .map(([p, op, v]) => `${p.includes('.') ? `[${p}]` : p} ${op} ${v}`);
const filter = fc.array(comparison, { minLength: 1, maxLength: 3 }).chain((parts) =>
  fc
    .array(fc.constantFrom('AND', 'OR'), {
      minLength: parts.length - 1,
      maxLength: parts.length - 1,
    })
    .map((joins) => parts.map((p, i) => (i === 0 ? p : `${joins[i - 1]} ${p}`)).join(' ')),
);
const withClause = fc.option(
  filter.map((f) => ` WITH ${f}`),
  { nil: '' },
);
const hop = fc
  .tuple(
    fc.constantFrom(
      'HAS',
      'IS',
      'IDENTIFIED',
      'MANAGES',
      'RELATES TO',
      '(HAS|IS)',
      '!HAS',
      '!IDENTIFIED',
    ),
    fc.constantFrom('', ' >>', ' <<'),
    fc.constantFrom(...selectors),
    withClause,
  )
  .map(([verb, direction, target, w]) => ({
    verb,
    text: `THAT ${verb}${direction} ${target}${w}`,
  }));

const query = fc
  .tuple(
    fc.constantFrom(...selectors),
    withClause,
    fc.array(hop, { maxLength: 2 }),
    fc.constantFrom('list', 'values', 'aggregate', 'tree'),
    fc.constantFrom(...properties),
    fc.constantFrom('', ' LIMIT 2', ' SKIP 1 LIMIT 3'),
    fc.boolean(),
  )
  .map(([root, w, hops, shape, property, window, descending]) => {
    // Aliases only on hops that are not negated (a negated hop binds nothing).
    const plain = hops.filter((h) => !h.verb.startsWith('!'));
    const chain = hops
      .map((h, i) => (h.verb.startsWith('!') ? h.text : `${h.text} AS h${i}`))
      .join(' ');
    const last = plain.length > 0 ? `h${hops.indexOf(plain[plain.length - 1]!)}` : 'a';
    const head = `FIND ${root}${w} AS a ${chain}`;
    const prop = property.includes('.') ? `[${property}]` : property;
    const order = ` ORDER BY a.${prop}${descending ? ' DESC' : ''}`;
    if (shape === 'list') return `${head}${window}`;
    if (shape === 'tree') return `${head} RETURN TREE${window}`;
    if (shape === 'values')
      return `${head} RETURN a.${prop}, ${last}.displayName AS d${order}${window}`;
    return `${head} RETURN ${last}.${prop} AS v, COUNT(a) AS n, MAX(a.cvssScore) AS top ORDER BY n DESC${window}`;
  });

/** Pieces of J1QL and of things that break parsers and SQL, in any order. */
const hostilePieces = [
  'FIND',
  'WITH',
  'THAT',
  'AS',
  'RETURN',
  'WHERE',
  'ORDER BY',
  'LIMIT',
  'SKIP',
  'TREE',
  'COUNT(',
  'CONCAT(',
  'ABS(',
  '*',
  '(',
  ')',
  ',',
  '=',
  '!=',
  '~=',
  '>>',
  '<<',
  '!',
  '?',
  'AND',
  'OR',
  'a',
  'a.x',
  'a.*',
  '[\\0]',
  '[x"y]',
  'HostAgent',
  'user_endpoint',
  '#CriticalAsset',
  "'x'",
  "'\\'",
  "'it\\'s'",
  '"q\\"q"',
  "'\u00e9\u{1F600}'",
  "'; DROP TABLE entities; --'",
  '/\\b(?:a|b)+\\d{2,}/i',
  '/[[:alpha:]]/',
  '/(?<=x)y/',
  '/\\Qx\\E/',
  '1e30',
  '-1',
  '0.5',
  'date.now - 1 day',
  '${param.p}',
  '{{p}}',
  'undefined',
  'true',
  '"ws"',
];

const hostile = fc
  .array(fc.constantFrom(...hostilePieces), { minLength: 1, maxLength: 12 })
  .map((pieces) => pieces.join(' '));

/** A J1QL single-quoted literal of any text. */
const quote = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const anyText = fc.string({ maxLength: 12 }).filter((t) => !t.includes('\u0000'));
/** Regular expressions over the characters that make regex syntax, matched against the fixture. */
const regexBody = fc
  .array(
    fc.constantFrom(
      ...'ws-0123.^$|?*+(){}[]\\dDwWsSbB:,=!<>aci'.split(''),
      '\\d',
      '\\b',
      '\\w',
      '\\s',
      '[a-z]',
      '(?:',
      '(?=',
      '(?<!',
      '{2}',
      '{1,3}',
      '\\u0077',
      '\\x2d',
    ),
    { minLength: 1, maxLength: 10 },
  )
  .map((parts) => parts.join(''))
  .filter((body) => !body.includes('/') && !body.endsWith('\\'));
const valueProbe = fc.oneof(
  fc
    .tuple(regexBody, fc.boolean(), fc.constantFrom('=', '~=', '^=', '$=', '!='))
    .map(([body, i, op]) => `FIND HostAgent WITH displayName ${op} /${body}/${i ? 'i' : ''}`),
  fc
    .tuple(anyText, fc.constantFrom('=', '!=', '~=', '^=', '$=', '>', '<'), anyText)
    .map(
      ([name, op, value]) =>
        `FIND * WITH [${name.replace(/[\]\n]/g, '') || 'x'}] ${op} ${quote(value)}`,
    ),
  anyText.map((term) => `FIND ${quote(term)}`),
  anyText.map(
    (name) => `FIND User AS a RETURN a.[${name.replace(/[\]\n]/g, '') || 'x'}] AS v LIMIT 3`,
  ),
);

describe('generated queries on SQLite and PostgreSQL', () => {
  let backends: TwoBackends;
  beforeAll(async () => {
    backends = await openTwoBackends('query-differential');
  });
  afterAll(async () => backends?.close());

  /**
   * Runs generated queries on both backends; outcomes() already fails on any error that is not a
   * J1QL error or that shows SQL. Returns how many ended how (answered, or the error's kind).
   */
  async function sameOnBoth(queries: fc.Arbitrary<string>, numRuns: number) {
    const tally: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(queries, async (text) => {
        const [sqlite, postgres] = await backends.outcomes(text, { params: { p: 'x' } });
        expect(postgres, text).toEqual(sqlite);
        const kind = sqlite!.ok ? 'ok' : sqlite!.kind;
        tally[kind] = (tally[kind] ?? 0) + 1;
      }),
      { numRuns },
    );
    return tally;
  }

  it('give the same answer, in the same order, or the same J1QL error', async () => {
    const tally = await sameOnBoth(query, 300);
    console.log('differential:', tally);
    // Most generated queries must run (not all end as the same validation error).
    expect(tally.ok).toBeGreaterThan(100);
  }, 300_000);

  it('answer hostile token soup the same way, always as a J1QL error or an answer', async () => {
    const tally = await sameOnBoth(hostile, 400);
    console.log('hostile:', tally);
    expect(tally.QueryExecutionError).toBeUndefined();
  }, 300_000);

  it('treat hostile values, names, terms and regular expressions the same way', async () => {
    const tally = await sameOnBoth(valueProbe, 600);
    console.log('hostile values:', tally);
    expect(tally.ok).toBeGreaterThan(200);
  }, 300_000);
});
