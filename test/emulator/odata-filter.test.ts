import { describe, expect, it } from 'vitest';
import {
  evaluateFilter,
  filterUsage,
  FilterSyntaxError,
  parseFilter,
} from '../../src/emulator/odata-filter.js';

const machine = {
  id: 'abc',
  computerDnsName: 'Web-01.contoso.com',
  healthStatus: 'Active',
  riskScore: 'High',
  rbacGroupId: 0,
  lastSeen: '2024-03-05T10:00:00.1234567Z',
  machineTags: ['Prod', 'web'],
  aadDeviceId: null,
};

const matches = (filter: string) => evaluateFilter(parseFilter(filter), machine);

describe('$filter parser and evaluator', () => {
  it('compares strings case-insensitively, numbers and null', () => {
    expect(matches("healthStatus eq 'active'")).toBe(true);
    expect(matches("healthStatus ne 'Active'")).toBe(false);
    expect(matches('rbacGroupId eq 0')).toBe(true);
    expect(matches('rbacGroupId gt 0')).toBe(false);
    expect(matches('aadDeviceId eq null')).toBe(true);
    expect(matches("riskScore in ('Low','High')")).toBe(true);
  });

  it('compares unquoted dates and date-times with gt/ge/lt/le', () => {
    expect(matches('lastSeen gt 2024-03-01Z')).toBe(true);
    expect(matches('lastSeen lt 2024-03-01')).toBe(false);
    expect(matches('lastSeen ge 2024-03-05T10:00:00.1234567Z')).toBe(true);
    expect(matches('lastSeen le 2024-03-05T09:59:59Z')).toBe(false);
  });

  it('handles functions, lambdas, not, and precedence of and over or', () => {
    expect(matches("startswith(computerDnsName,'web-')")).toBe(true);
    expect(matches("endswith(computerDnsName,'.com')")).toBe(true);
    expect(matches("contains(computerDnsName,'CONTOSO')")).toBe(true);
    expect(matches("machineTags/any(t: t eq 'prod')")).toBe(true);
    expect(matches("machineTags/any(t: t eq 'db')")).toBe(false);
    expect(matches("not (healthStatus eq 'Inactive')")).toBe(true);
    expect(matches("riskScore eq 'Low' and healthStatus eq 'Active' or id eq 'abc'")).toBe(true);
    expect(matches("riskScore eq 'Low' and (healthStatus eq 'Active' or id eq 'abc')")).toBe(false);
    expect(matches("computerDnsName eq 'it''s'")).toBe(false);
  });

  it('reports the properties and operators a filter uses, leaving out lambda variables', () => {
    const usage = filterUsage(
      parseFilter("machineTags/any(t: t eq 'x') and not startswith(id,'a')"),
    );
    expect([...usage.properties].sort()).toEqual(['id', 'machineTags']);
    expect([...usage.operators].sort()).toEqual(['and', 'any', 'eq', 'not', 'startswith']);
  });

  it.each([
    ["healthStatus eq 'Active", /unterminated/],
    ['healthStatus eq', /expected a value/],
    ["healthStatus is 'Active'", /expected an operator after 'healthStatus'/],
    ["(healthStatus eq 'Active'", /expected '\)'/],
    ["healthStatus eq 'Active' extra", /unexpected 'extra'/],
    ['lastSeen gt 2024-13-45Z', /invalid date/],
  ])('refuses %s', (filter, message) => {
    expect(() => parseFilter(filter)).toThrow(FilterSyntaxError);
    expect(() => parseFilter(filter)).toThrow(message);
  });
});
