/**
 * The employee roster's fields (CSV columns, JSON/YAML keys): the format the people mapping reads
 * and the emulator writes. `email` holds one or more addresses.
 */
export const ROSTER_FIELDS = [
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
] as const;

export type RosterField = (typeof ROSTER_FIELDS)[number];
