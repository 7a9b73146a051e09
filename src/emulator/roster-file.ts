/** The simulated tenant's HR roster as the CSV an HR export would be (emails joined by `;`). */
import { stringify } from 'csv-stringify/sync';
import { ROSTER_FIELDS } from '../graph/roster-format.js';
import type { RosterEntry } from './tenant/roster.js';

export function rosterCsv(entries: RosterEntry[]): string {
  return stringify(
    entries.map((e) =>
      ROSTER_FIELDS.map((c) => (c === 'email' ? e.email.join(';') : (e[c] ?? ''))),
    ),
    { header: true, columns: [...ROSTER_FIELDS] },
  );
}
