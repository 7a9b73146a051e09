import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../src/query/parser.js';
import { QuerySyntaxError } from '../../src/query/errors.js';
import type { Comparison, Filter, Traversal } from '../../src/query/ast.js';

const traversal = (text: string, index = 0) => parseQuery(text).steps[index] as Traversal;
const compare = (filter: Filter | undefined) => filter as Comparison;

describe('J1QL parser', () => {
  it('tells classes from types by the first character, and reads *, unions and UNIQUE', () => {
    expect(parseQuery('FIND User').root).toEqual({
      kind: 'entities',
      selector: { kind: 'names', names: [{ kind: 'class', value: 'User' }] },
      filter: undefined,
      alias: undefined,
    });
    const q = parseQuery('find unique (HostAgent | user_endpoint|PR) as x');
    expect(q.unique).toBe(true);
    expect(q.root).toMatchObject({
      alias: 'x',
      selector: {
        names: [
          { kind: 'class', value: 'HostAgent' },
          { kind: 'type', value: 'user_endpoint' },
          { kind: 'class', value: 'PR' },
        ],
      },
    });
    expect(parseQuery('FIND *').root).toMatchObject({ selector: { kind: 'any' } });
    // FIND is optional.
    expect(parseQuery('User THAT IS Person').steps).toHaveLength(1);
  });

  it('parses all twelve comparison operators', () => {
    const ops = ['=', '!=', '>', '<', '>=', '<=', '~=', '!~=', '^=', '!^=', '$=', '!$='];
    for (const op of ops) {
      const q = parseQuery(`FIND User WITH name ${op} 'x'`);
      expect(compare(q.root.filter).op).toBe(op);
    }
  });

  it('reads every value form', () => {
    const value = (text: string) =>
      compare(parseQuery(`FIND User WITH p = ${text}`).root.filter).right;
    expect(value("'it''s'".replace("''", "\\'"))).toEqual({ kind: 'string', value: "it's" });
    expect(value('"a \\"b\\""')).toEqual({ kind: 'string', value: 'a "b"' });
    expect(value('-12.5')).toEqual({ kind: 'number', value: -12.5 });
    expect(value('true')).toEqual({ kind: 'boolean', value: true });
    expect(value('FALSE')).toEqual({ kind: 'boolean', value: false });
    expect(value('undefined')).toEqual({ kind: 'undefined' });
    expect(value('/ab[0-9]+c/i')).toEqual({
      kind: 'regex',
      pattern: 'ab[0-9]+c',
      caseInsensitive: true,
    });
    expect(value('date.now')).toEqual({ kind: 'dateNow', offset: undefined });
    expect(value('date.now - 7 days')).toEqual({
      kind: 'dateNow',
      offset: { amount: -7, unit: 'day' },
    });
    expect(value('date.now-24hours')).toEqual({
      kind: 'dateNow',
      offset: { amount: -24, unit: 'hour' },
    });
    expect(value('date.now + 1yr')).toEqual({
      kind: 'dateNow',
      offset: { amount: 1, unit: 'year' },
    });
    expect(value('date.now-12months')).toEqual({
      kind: 'dateNow',
      offset: { amount: -12, unit: 'month' },
    });
    expect(value('date(2019-10-30)')).toEqual({ kind: 'date', iso: '2019-10-30' });
    expect(value('${ param.maxDays }')).toEqual({ kind: 'parameter', name: 'maxDays' });
    expect(value('{{environment}}')).toEqual({ kind: 'placeholder', name: 'environment' });
  });

  it('reads shorthand value sets with OR or AND, and rejects mixing them', () => {
    const right = compare(parseQuery("FIND User WITH t = ('a' or 'b' OR 'c')").root.filter).right;
    expect(right).toMatchObject({ kind: 'set', connective: 'or' });
    expect(
      compare(parseQuery("FIND User WITH t != ('a' AND undefined)").root.filter).right,
    ).toMatchObject({
      kind: 'set',
      connective: 'and',
      values: [{ kind: 'string', value: 'a' }, { kind: 'undefined' }],
    });
    expect(() => parseQuery("FIND User WITH t = ('a' OR 'b' AND 'c')")).toThrow(/mixes AND and OR/);
  });

  it('gives AND precedence over OR and honours parentheses', () => {
    const f = parseQuery('FIND User WITH a = 1 or b = 2 and c = 3').root.filter!;
    expect(f.kind).toBe('or');
    expect((f as { operands: Filter[] }).operands[1]!.kind).toBe('and');
    const g = parseQuery('FIND User WITH (a = 1 or b = 2) and c = 3').root.filter!;
    expect(g.kind).toBe('and');
  });

  it('reads property names: dotted, bracketed, keywords, alias-qualified', () => {
    const left = (text: string) => compare(parseQuery(text).root.filter).left.segments;
    expect(left("FIND Host WITH tag.AccountName = 'x'")).toEqual(['tag', 'AccountName']);
    expect(left("FIND Host WITH [tag.special-name] = 'x'")).toEqual(['tag.special-name']);
    expect(left('FIND Host WITH [tag.CIS2.0] = true')).toEqual(['tag.CIS2.0']);
    expect(left("FIND Host WITH to = 'x'")).toEqual(['to']);
    const where = parseQuery('FIND Host AS h THAT HAS Finding AS f WHERE h.[odd-name] = f.tag.X')
      .where as Comparison;
    expect(where.left.segments).toEqual(['h', 'odd-name']);
    expect(where.right).toMatchObject({ kind: 'property', segments: ['f', 'tag', 'X'] });
  });

  it('reads traversals: verbs, TO filler, RELATES TO, negation, direction, verb groups, aliases', () => {
    expect(traversal('FIND User THAT HAS Device')).toMatchObject({
      verbs: ['HAS'],
      direction: 'both',
      negated: false,
    });
    expect(traversal('FIND User THAT relates to Device').verbs).toBeUndefined();
    expect(traversal('FIND a THAT CONTRIBUTES TO b').verbs).toEqual(['CONTRIBUTES']);
    expect(traversal('FIND User THAT !HAS >> Device')).toMatchObject({
      negated: true,
      direction: 'out',
    });
    expect(traversal('FIND User THAT RELATES TO << CodeRepo')).toMatchObject({ direction: 'in' });
    expect(traversal('FIND User THAT !(ASSIGNED|uses | HAS) mfa_device')).toMatchObject({
      negated: true,
      verbs: ['ASSIGNED', 'USES', 'HAS'],
    });
    expect(traversal('FIND Firewall THAT ALLOWS AS rule * AS n')).toMatchObject({
      relationshipAlias: 'rule',
      alias: 'n',
      target: { kind: 'any' },
    });
    expect(traversal('FIND CodeRepo THAT CONTAINS >> AS rel CodeModule')).toMatchObject({
      relationshipAlias: 'rel',
      direction: 'out',
    });
  });

  it('reads multi-hop chains and optional groups with aliases', () => {
    const q = parseQuery(
      'FIND User (THAT IS Person AS p)? (THAT OWNS Device)? AS d THAT HAS Finding',
    );
    expect(q.steps.map((s) => s.kind)).toEqual(['optional', 'optional', 'traversal']);
    expect(q.steps[1]).toMatchObject({ kind: 'optional', alias: 'd' });
  });

  it('reads RETURN items, functions, math, AS names, TREE, HAVING, ORDER BY, SKIP, LIMIT', () => {
    const q = parseQuery(
      "FIND HostAgent AS m RETURN m.osPlatform AS 'OS name', count(m) AS n, m.*, (1 - count(m) / 2) * 100 HAVING n > 1 ORDER BY n DESC SKIP 5 LIMIT 10",
    );
    const items = q.return!.kind === 'items' ? q.return!.items : [];
    expect(items.map((i) => i.column)).toEqual(['OS name', 'n', 'm.*', '(1 - count(m) / 2) * 100']);
    expect(items[1]!.expression).toMatchObject({ kind: 'call', name: 'COUNT' });
    expect(items[2]!.expression).toMatchObject({ kind: 'allProperties', alias: 'm' });
    expect(q.having).toMatchObject({ kind: 'compare', op: '>' });
    expect(q.orderBy).toEqual([
      { key: expect.objectContaining({ segments: ['n'] }), descending: true },
    ]);
    expect(q.skip).toBe(5);
    expect(q.limit).toBe(10);
    expect(parseQuery('FIND User RETURN tree').return).toEqual({ kind: 'tree' });
  });

  it('skips /* comments */ and accepts the alias before WITH leniently', () => {
    const q = parseQuery("FIND /* hosts */ Host AS h WITH a = 'b' /* done */");
    expect(q.root).toMatchObject({ alias: 'h', filter: { kind: 'compare' } });
  });

  it('reports line, column, what was found and what was expected', () => {
    try {
      parseQuery('FIND User\n  WITH active = \n  THAT HAS Device');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(QuerySyntaxError);
      const e = err as QuerySyntaxError;
      expect(e.line).toBe(3);
      expect(e.column).toBe(3);
      expect(e.found).toBe("'THAT'");
      expect(e.expected).toContain('a quoted string');
      expect(e.message).toMatch(/^line 3, column 3: found 'THAT', expected .*a quoted string/);
    }
    expect(() => parseQuery('FIND User WITH a = 1 )')).toThrow(
      /column 22: found '\)', expected end of query/,
    );
    expect(() => parseQuery('FIND User THAT')).toThrow(/found end of query/);
    expect(() => parseQuery('FIND User WITH a = 1 & b = 2')).toThrow(
      /line 1, column 22: unexpected character "&"/,
    );
  });
});
