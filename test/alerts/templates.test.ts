import { describe, expect, it } from 'vitest';
import { ConditionError, conditionHolds, whenHolds } from '../../src/alerts/conditions.js';
import {
  flattenItem,
  readPath,
  TemplateError,
  TemplateRenderer,
} from '../../src/alerts/templates.js';

const entity = (id: string, displayName: string, extra: Record<string, unknown> = {}) => ({
  id,
  entity: { _id: id, _type: 'microsoft_defender_machine', displayName },
  properties: { displayName, ...extra },
});

const context = {
  queries: {
    query0: {
      total: 3,
      data: [
        entity('1', 'web-01', { 'tag.AccountName': 'prod', osPlatform: 'Windows10' }),
        entity('2', 'web-02', { 'tag.AccountName': 'prod', osPlatform: 'Linux' }),
        entity('3', 'db-01', { 'tag.AccountName': 'lab', osPlatform: 'Linux' }),
      ],
    },
  },
  param: { team: ['a@example.com', 'b@example.com'] },
};

describe('templates (JEXL with JupiterOne transforms)', () => {
  const templates = new TemplateRenderer({
    line: '({{itemIndex + 1}} of {{itemCount}}) {{item.displayName}} [{{item.osPlatform}}]',
  });

  it('keeps the type of a whole-string expression and concatenates mixed text', () => {
    expect(templates.render('{{queries.query0.total > 0}}', context)).toBe(true);
    expect(templates.render('{{param.team}}', context)).toEqual(['a@example.com', 'b@example.com']);
    expect(templates.render('found {{queries.query0.total}} machines', context)).toBe(
      'found 3 machines',
    );
    expect(templates.render('no template here', context)).toBe('no template here');
  });

  it('applies mapTemplate, mapProperty (properties then entity, dotted names), join, merge, uniquePropertyValues, length', () => {
    expect(
      templates.render("{{queries.query0.data | mapTemplate('line') | join('\n')}}", context),
    ).toBe('(1 of 3) web-01 [Windows10]\n(2 of 3) web-02 [Linux]\n(3 of 3) db-01 [Linux]');
    expect(
      templates.render(
        "{{queries.query0.data | mapProperty('tag.AccountName') | join(', ')}}",
        context,
      ),
    ).toBe('prod, prod, lab');
    expect(
      templates.render(
        "{{queries.query0.data | mapProperty('_type') | uniquePropertyValues('x') | length}}",
        context,
      ),
    ).toBe(1);
    expect(
      templates.render("{{queries.query0.data | uniquePropertyValues('osPlatform')}}", context),
    ).toEqual(['Windows10', 'Linux']);
    expect(templates.render("{{param.team | merge(['c@example.com']) | length}}", context)).toBe(3);
    expect(
      templates.render(
        "{{queries.query0.data[.properties.osPlatform == 'Linux'] | mapProperty('displayName') | join}}",
        context,
      ),
    ).toBe('web-02,db-01');
  });

  it('evaluates when conditions in the array form (nested, bare triple) and the template form', () => {
    expect(
      conditionHolds(
        ['AND', ['queries.query0.total', '>', 0], ['queries.query0.total', '<=', 100]],
        context,
        templates,
      ),
    ).toBe(true);
    expect(
      conditionHolds(
        ['OR', ['queries.query0.total', '>', 5], ['AND', ['queries.query0.total', '!=', 0]]],
        context,
        templates,
      ),
    ).toBe(true);
    expect(conditionHolds(['queries.query0.total', '>', 100], context, templates)).toBe(false);
    expect(conditionHolds('{{queries.query0.total > 2}}', context, templates)).toBe(true);
    expect(() => conditionHolds(['XOR', ['a', '>', 1]], context, templates)).toThrow(
      'Invalid conjunction operator or clause ["XOR",["a",">",1]]',
    );
  });
});

describe('conditions (every operator, loose and strict, malformed clauses)', () => {
  const templates = new TemplateRenderer();
  const holds = (path: string, op: string, value: unknown) =>
    conditionHolds([path, op, value], { n: 5, s: '5', nested: { 'a.b': 1 } }, templates);

  it('tells each comparison apart at, below and above the value', () => {
    const table = ['>', '<', '>=', '<='].map((op) => [op, [4, 5, 6].map((v) => holds('n', op, v))]);
    expect(table).toEqual([
      ['>', [true, false, false]],
      ['<', [false, false, true]],
      ['>=', [true, true, false]],
      ['<=', [false, true, true]],
    ]);
  });

  it('compares = and == loosely, === strictly, and their negations the same way', () => {
    const table = ['=', '==', '===', '!=', '!=='].map((op) => [
      op,
      [5, '5', 6].map((v) => holds('n', op, v)),
    ]);
    expect(table).toEqual([
      ['=', [true, true, false]],
      ['==', [true, true, false]],
      ['===', [true, false, false]],
      ['!=', [false, false, true]],
      ['!==', [false, true, true]],
    ]);
    expect(holds('nested.a.b', '===', 1)).toBe(true);
  });

  it('AND needs every clause and OR one', () => {
    const yes = ['n', '===', 5];
    const no = ['n', '===', 6];
    const context = { n: 5 };
    const cases = [
      ['AND', yes, yes],
      ['AND', yes, no],
      ['AND', no, yes],
      ['OR', no, no],
      ['OR', no, yes],
      ['OR', yes, no],
    ].map((c) => conditionHolds(c, context, templates));
    expect(cases).toEqual([true, false, false, false, true, true]);
  });

  it('tests the template form for truthiness', () => {
    expect(conditionHolds('{{n - 5}}', { n: 5 }, templates)).toBe(false);
    expect(conditionHolds('{{n - 4}}', { n: 5 }, templates)).toBe(true);
  });

  it('names what is wrong with a malformed condition', () => {
    const bad = (condition: unknown[]) => () => conditionHolds(condition, { n: 5 }, templates);
    expect(bad(['AND'])).toThrow(new ConditionError('"AND" needs at least one clause'));
    expect(bad(['OR'])).toThrow(new ConditionError('"OR" needs at least one clause'));
    expect(bad(['OR', 'n'])).toThrow(new ConditionError('clause "n" is not a list'));
    expect(bad(['n', '>'])).toThrow(
      new ConditionError(
        'Invalid conjunction operator or clause ["n",">"]: expected ["AND"|"OR", …] or [path, operator, value]',
      ),
    );
    expect(bad([1, '>', 0])).toThrow(/^Invalid conjunction operator or clause \[1,">",0\]/);
    expect(bad(['n', '~=', 5])).toThrow(
      new ConditionError('unknown operator "~=" in ["n","~=",5]'),
    );
    expect(bad(['n', '>', 5])).not.toThrow();
    expect(bad(['AND'])).toThrow(expect.objectContaining({ name: 'ConditionError' }));
  });
});

describe('whenHolds', () => {
  const templates = new TemplateRenderer();
  const context = { n: 5 };
  const yes = { condition: ['n', '===', 5] };
  const no = { condition: ['n', '===', 6] };

  it('holds without a when, for one condition, and only when every listed condition holds', () => {
    expect(whenHolds(undefined, context, templates)).toBe(true);
    expect(whenHolds(yes, context, templates)).toBe(true);
    expect(whenHolds(no, context, templates)).toBe(false);
    expect(whenHolds([yes, yes], context, templates)).toBe(true);
    expect(whenHolds([yes, no], context, templates)).toBe(false);
    expect(whenHolds([], context, templates)).toBe(true);
  });
});

describe('template edge cases', () => {
  const templates = new TemplateRenderer({ name: '{{item.displayName}}#{{itemIndex}}' });

  it('reads dotted paths as nested keys or as one key, and nothing through a non-object', () => {
    const value = { a: { b: { c: 1 } }, 'tag.x': 2, list: [1], s: 'text' };
    expect(readPath(value, 'a.b.c')).toBe(1);
    expect(readPath(value, 'tag.x')).toBe(2);
    expect(readPath(value, 'a.missing.c')).toBeUndefined();
    expect(readPath(value, 's.length')).toBeUndefined();
    expect(readPath(value, 'list')).toEqual([1]);
    expect(readPath('text', 'length')).toBeUndefined();
    expect(readPath([1], '0')).toBeUndefined();
    expect(readPath(null, 'a')).toBeUndefined();
    expect(readPath({ '': { a: 1 } }, '.a')).toBe(1);
  });

  it('flattens only an entity item with both entity and properties (properties win, then its id)', () => {
    expect(
      flattenItem({ id: 'i', entity: { _id: 'e', a: 1, id: 'x' }, properties: { a: 2, b: 3 } }),
    ).toEqual({ _id: 'e', a: 2, b: 3, id: 'i' });
    const partial = { id: 'i', entity: { a: 1 } };
    expect(flattenItem(partial)).toBe(partial);
    const noEntity = { id: 'i', entity: 'e', properties: { a: 1 } };
    expect(flattenItem(noEntity)).toBe(noEntity);
    expect(flattenItem([1])).toEqual([1]);
  });

  it('joins objects as JSON, null as empty, with a comma by default', () => {
    const context = { v: [{ a: 1 }, null, 2, 'x'], one: 'solo', none: null };
    expect(templates.render("{{v | join('; ')}}", context)).toBe('{"a":1}; ; 2; x');
    expect(templates.render('{{v | join}}', context)).toBe('{"a":1},,2,x');
    expect(templates.render('{{one | join}}', context)).toBe('solo');
    expect(templates.render('{{none | join}}', context)).toBe('');
    expect(templates.render('{{missing | merge(one) | join}}', context)).toBe('solo');
    expect(templates.render('{{missing | merge(none) | length}}', context)).toBe(0);
  });

  it('counts arrays, strings and object keys, and anything else as 0', () => {
    const context = { list: [1, 2], text: 'abc', record: { a: 1, b: 2, c: 3 }, n: 7, none: null };
    expect(
      ['list', 'text', 'record', 'n', 'none'].map((k) =>
        templates.render(`{{${k} | length}}`, context),
      ),
    ).toEqual([2, 3, 3, 0, 0]);
  });

  it('projects several properties into objects, from properties then entity, or plain objects', () => {
    const items = [
      { id: '1', entity: { _type: 't', name: 'entity-name' }, properties: { name: 'p', n: 0 } },
      { name: 'plain', n: 5 },
    ];
    expect(templates.render("{{items | mapProperty('name', '_type')}}", { items })).toEqual([
      { name: 'p', _type: 't' },
      { name: 'plain', _type: undefined },
    ]);
    expect(templates.render("{{items | mapProperty('n')}}", { items })).toEqual([0, 5]);
  });

  it('maps a named template with the item, its index and the outer context', () => {
    const mapped = new TemplateRenderer({
      line: '{{prefix}}{{item.displayName}}#{{itemIndex}}/{{itemCount}}',
    });
    const items = [{ id: '1', entity: { displayName: 'a' }, properties: {} }, { displayName: 'b' }];
    expect(mapped.render("{{items | mapTemplate('line')}}", { items, prefix: '>' })).toEqual([
      '>a#0/2',
      '>b#1/2',
    ]);
    expect(() => mapped.render("{{items | mapTemplate('nope')}}", { items })).toThrow(
      new TemplateError('mapTemplate: no template named "nope"'),
    );
  });

  it('writes values into text: objects as JSON, null and undefined as nothing', () => {
    const context = { o: { a: [1] }, none: null, n: 0 };
    expect(templates.render('o={{o}} none={{none}} u={{missing}} n={{n}}', context)).toBe(
      'o={"a":[1]} none= u= n=0',
    );
    expect(templates.render('  {{n}}  ', context)).toBe(0);
    expect(templates.render('{{n}} and {{n}}', context)).toBe('0 and 0');
    expect(templates.render('n={{n}}', context)).toBe('n=0');
    expect(templates.render('{{n}} left', context)).toBe('0 left');
    expect(templates.render('{{ n + 1 }}', context)).toBe(1);
    expect(templates.render('is {{ n + 1 }}', context)).toBe('is 1');
    expect(templates.render('{{ n / 0 }}', { n: 0 })).toBeNaN();
    expect(templates.render('is {{ n / 0 }}', { n: 0 })).toBe('is NaN');
    expect(templates.render('{{o}}\n', context)).toEqual({ a: [1] });
  });

  it('returns copies, so an action cannot change the context', () => {
    const context = { o: { a: [1] } };
    const copy = templates.render('{{o}}', context) as { a: number[] };
    copy.a.push(2);
    expect(context.o.a).toEqual([1]);
  });

  it('names the expression and its error, as a TemplateError', () => {
    expect(() => templates.render('x {{ 1 + }} y', {})).toThrow(TemplateError);
    expect(() => templates.render('x {{ 1 + }} y', {})).toThrow(/^\{\{1 \+\}\}: /);
    expect(() => templates.render('x {{ 1 + }} y', {})).toThrow(
      expect.objectContaining({ name: 'TemplateError' }),
    );
  });

  it('renders every string inside arrays and objects, keeping other values', () => {
    const context = { n: 3, list: ['a'] };
    expect(
      templates.renderDeep(
        {
          title: 'n={{n}}',
          to: ['{{list}}', 'x'],
          nested: { count: '{{n}}', flag: true, no: null },
        },
        context,
      ),
    ).toEqual({ title: 'n=3', to: [['a'], 'x'], nested: { count: 3, flag: true, no: null } });
  });
});
