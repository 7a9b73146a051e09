import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { parseRoster, RosterError } from '../../src/people/roster.js';

const HEADER = 'employeeId,email,firstName,lastName,employmentStatus,endDate';

function failure(file: string, text: string): string {
  try {
    parseRoster(file, text);
  } catch (err) {
    expect(err).toBeInstanceOf(RosterError);
    return (err as Error).message;
  }
  throw new Error('parsed without error');
}

describe('parseRoster', () => {
  it('reads CSV with several emails per cell and normalises the status', () => {
    const roster = parseRoster(
      '/hr/employees.csv',
      `${HEADER}\nE1,a@x.com;A.B@x.com,Ann,Bell,Terminated,2026-10-01\nE2,,Bo,Chu,,\n`,
    );
    expect(roster).toEqual({
      name: 'employees.csv',
      rows: [
        {
          employeeId: 'E1',
          email: ['a@x.com', 'A.B@x.com'],
          firstName: 'Ann',
          lastName: 'Bell',
          employmentStatus: 'terminated',
          endDate: '2026-10-01',
        },
        { employeeId: 'E2', email: [], firstName: 'Bo', lastName: 'Chu' },
      ],
    });
  });

  it('reads JSON and YAML lists (or an employees: list) alike', () => {
    const expected = [{ employeeId: 'E1', email: ['a@x.com'], title: 'CTO' }];
    expect(
      parseRoster('r.json', '[{"employeeId":"E1","email":["a@x.com"],"title":"CTO"}]').rows,
    ).toEqual(expected);
    expect(
      parseRoster('r.yaml', 'employees:\n  - employeeId: E1\n    email: a@x.com\n    title: CTO\n')
        .rows,
    ).toEqual(expected);
  });

  it('names file, line and column of bad CSV quoting', () => {
    expect(failure('e.csv', `${HEADER}\nE1,a@x.com,Ann,Be"ll,,\n`)).toBe(
      'e.csv:2:4: Invalid Opening Quote: a quote is found on field "lastName" at line 2, value is "Be"',
    );
    expect(failure('e.csv', `${HEADER}\nE1,"a@x.com,Ann,Bell,,\n`)).toBe(
      'e.csv:2:2: Quote Not Closed: a quoted field opened in this record is never closed',
    );
  });

  it('names the line and column of a missing employeeId', () => {
    expect(failure('e.csv', `${HEADER}\nE1,a@x.com,,,,\n,b@x.com,,,,\n`)).toBe(
      'e.csv:3:1: missing employeeId',
    );
    expect(failure('e.yaml', '- employeeId: E1\n- email: b@x.com\n')).toBe(
      'e.yaml:2:3: missing employeeId',
    );
  });

  it('names both lines of a duplicate employeeId', () => {
    expect(failure('e.csv', `${HEADER}\nE1,,,,,\nE2,,,,,\nE1,,,,,\n`)).toBe(
      'e.csv:4:1: duplicate employeeId "E1" (first on line 2)',
    );
  });

  it('rejects unknown statuses, bad dates, bad emails and unknown fields with their column', () => {
    expect(failure('e.csv', `${HEADER}\nE1,,,,fired,\n`)).toBe(
      'e.csv:2:5: employmentStatus "fired" is not one of active, leave, terminated',
    );
    expect(failure('e.csv', `${HEADER}\nE1,,,,,01/02/2026\n`)).toBe(
      'e.csv:2:6: endDate "01/02/2026" is not an ISO date (YYYY-MM-DD)',
    );
    expect(failure('e.csv', `${HEADER}\nE1,not-an-address,,,,\n`)).toBe(
      'e.csv:2:2: "not-an-address" is not an email address',
    );
    expect(failure('e.json', '[{"employeeId":"E1",\n "salary": 1}]')).toBe(
      'e.json:2:2: unknown field "salary" (known: employeeId, email, firstName, lastName, displayName, title, department, manager, employeeType, employmentStatus, startDate, endDate, samAccountName, onPremisesSid)',
    );
  });

  it('reads back any roster an RFC 4180 writer produces (quotes, commas, newlines in cells)', () => {
    const text = fc.string({ maxLength: 12 }).map((s) => s.trim());
    const row = fc.record({
      employeeId: fc.stringMatching(/^[A-Za-z0-9]{1,8}$/),
      firstName: text,
      title: text,
    });
    fc.assert(
      fc.property(fc.uniqueArray(row, { selector: (r) => r.employeeId, maxLength: 8 }), (rows) => {
        const csv = stringify(
          rows.map((r) => [r.employeeId, r.firstName, r.title]),
          { header: true, columns: ['employeeId', 'firstName', 'title'] },
        );
        const parsed = parseRoster('p.csv', csv).rows;
        expect(parsed).toEqual(
          rows.map((r) => ({
            employeeId: r.employeeId,
            email: [],
            ...(r.firstName === '' ? {} : { firstName: r.firstName }),
            ...(r.title === '' ? {} : { title: r.title }),
          })),
        );
      }),
    );
  });
});
