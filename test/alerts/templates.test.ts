import { describe, expect, it } from 'vitest';
import { conditionHolds } from '../../src/alerts/conditions.js';
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
