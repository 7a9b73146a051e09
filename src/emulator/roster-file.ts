/** The simulated tenant's HR roster as the CSV an HR export would be (emails joined by `;`). */
import { stringify } from 'csv-stringify/sync';
import type { RosterEntry } from './tenant/roster.js';

export const ROSTER_COLUMNS = [
  'employeeId',
  'email',
  'firstName',
  'lastName',
  'displayName',
  'title',
  'department',
  'manager',
  'employeeType',
  'employmentStatus',
  'startDate',
  'endDate',
  'samAccountName',
  'onPremisesSid',
] as const satisfies readonly (keyof RosterEntry)[];

export function rosterCsv(entries: RosterEntry[]): string {
  return stringify(
    entries.map((e) =>
      ROSTER_COLUMNS.map((c) => (c === 'email' ? e.email.join(';') : (e[c] ?? ''))),
    ),
    { header: true, columns: [...ROSTER_COLUMNS] },
  );
}
