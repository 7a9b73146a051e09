import { describe, expect, it } from 'vitest';
import { ConditionError, conditionHolds, whenHolds } from '../../src/alerts/conditions.js';
import { TemplateRenderer } from '../../src/alerts/templates.js';

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
