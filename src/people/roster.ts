/**
 * The employee roster (the HR source of truth): CSV, JSON or YAML, read into validated rows. Any
 * row that cannot be read fails the whole roster with file, line and column, so a bad file never
 * replaces good people.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ROSTER_FIELDS, type RosterField } from '../graph/roster-format.js';

export const EMPLOYMENT_STATUSES = ['active', 'leave', 'terminated'] as const;
export type EmploymentStatus = (typeof EMPLOYMENT_STATUSES)[number];

export interface RosterRow {
  employeeId: string;
  email: string[];
  firstName?: string;
  lastName?: string;
  displayName?: string;
  title?: string;
  department?: string;
  /** The manager's email or employeeId. */
  manager?: string;
  employeeType?: string;
  employmentStatus?: EmploymentStatus;
  /** ISO dates (YYYY-MM-DD or full timestamps). */
  startDate?: string;
  endDate?: string;
  /** On-premises identifiers, for accounts that have no directory user. */
  samAccountName?: string;
  onPremisesSid?: string;
}

export interface Roster {
  /** The file's name, stated on every Person it yields. */
  name: string;
  rows: RosterRow[];
}

export class RosterError extends Error {
  override name = 'RosterError';
}

const TEXT_FIELDS = ROSTER_FIELDS.filter((f): f is Exclude<RosterField, 'email'> => f !== 'email');
const FIELDS = new Set<string>(ROSTER_FIELDS);

/** Where a field of a record sits in the file, for error messages. */
type Locate = (field: string | undefined) => { line: number; column: number };

interface RawRecord {
  values: Record<string, unknown>;
  locate: Locate;
}

function fail(file: string, at: { line: number; column: number }, message: string): never {
  throw new RosterError(`${file}:${at.line}:${at.column}: ${message}`);
}

/** Several emails in one CSV cell are separated by `;`, `|`, `,` or spaces. */
function emailList(value: unknown): string[] {
  const items = Array.isArray(value) ? value.map(String) : String(value ?? '').split(/[;|,\s]+/);
  return items.map((e) => e.trim()).filter((e) => e !== '');
}

function validDate(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value));
}

function toRow(file: string, record: RawRecord): RosterRow {
  const { values, locate } = record;
  for (const key of Object.keys(values))
    if (!FIELDS.has(key))
      fail(file, locate(key), `unknown field "${key}" (known: ${[...FIELDS].join(', ')})`);
  const row: RosterRow = { employeeId: '', email: emailList(values.email) };
  for (const field of TEXT_FIELDS) {
    const value = values[field];
    if (value === undefined || value === null) continue;
    if (typeof value === 'object') fail(file, locate(field), `"${field}" must be a single value`);
    const text = String(value as string | number | boolean).trim();
    if (text !== '') (row as unknown as Record<string, string>)[field] = text;
  }
  if (row.employeeId === '') fail(file, locate('employeeId'), 'missing employeeId');
  for (const email of row.email)
    if (!/^[^\s@]+@[^\s@]+$/.test(email))
      fail(file, locate('email'), `"${email}" is not an email address`);
  if (
    row.employmentStatus !== undefined &&
    !(EMPLOYMENT_STATUSES as readonly string[]).includes(row.employmentStatus.toLowerCase())
  )
    fail(
      file,
      locate('employmentStatus'),
      `employmentStatus "${row.employmentStatus}" is not one of ${EMPLOYMENT_STATUSES.join(', ')}`,
    );
  if (row.employmentStatus)
    row.employmentStatus = row.employmentStatus.toLowerCase() as EmploymentStatus;
  for (const field of ['startDate', 'endDate'] as const) {
    const value = row[field];
    if (value !== undefined && !validDate(value))
      fail(file, locate(field), `${field} "${value}" is not an ISO date (YYYY-MM-DD)`);
  }
  return row;
}

function csvRecords(file: string, text: string): RawRecord[] {
  let parsed: { record: Record<string, string>; info: { lines: number } }[];
  let header: string[] = [];
  let lastRecordLine = 1;
  try {
    parsed = parseCsv(text, {
      columns: (names: string[]) => (header = names.map((n) => n.trim())),
      info: true,
      skip_empty_lines: true,
      bom: true,
      on_record: (record: { info: { lines: number } }) => {
        lastRecordLine = record.info.lines;
        return record;
      },
    }) as typeof parsed;
  } catch (err) {
    const e = err as { code?: string; message: string; lines?: number; column?: string | number };
    const column = typeof e.column === 'string' ? header.indexOf(e.column) + 1 : Number(e.column);
    // An unclosed quote is only noticed at the end of the file: point at the record it opened in.
    const line = e.code === 'CSV_QUOTE_NOT_CLOSED' ? lastRecordLine + 1 : (e.lines ?? 1);
    const message =
      e.code === 'CSV_QUOTE_NOT_CLOSED'
        ? 'Quote Not Closed: a quoted field opened in this record is never closed'
        : e.message;
    return fail(file, { line, column: column > 0 ? column : 1 }, message);
  }
  return parsed.map(({ record, info }) => {
    const values = Object.fromEntries(Object.entries(record).filter(([, v]) => v !== '')) as Record<
      string,
      unknown
    >;
    return {
      values,
      locate: (field) => ({
        line: info.lines,
        column: field === undefined ? 1 : Math.max(1, header.indexOf(field) + 1),
      }),
    };
  });
}

/** JSON is YAML 1.2, so one parser gives line and column for both. */
function documentRecords(file: string, text: string): RawRecord[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const position = (offset: number | undefined) => {
    const p = lineCounter.linePos(offset ?? 0);
    return { line: p.line, column: p.col };
  };
  const [error] = doc.errors;
  if (error) fail(file, position(error.pos[0]), error.message.split('\n')[0]!);
  let list: Node | null | undefined = doc.contents as Node | null;
  if (isMap(list)) list = list.get('employees', true) as Node | undefined;
  if (!isSeq(list))
    fail(file, position(0), 'expected a list of employees (or an "employees:" list)');
  return list.items.map((item) => {
    const node = item as Node;
    if (!isMap(node)) fail(file, position(node.range?.[0]), 'an employee must be an object');
    return {
      values: node.toJSON() as Record<string, unknown>,
      locate: (field) => {
        const pair = node.items.find(
          (p) => String((p.key as { value?: unknown })?.value) === field,
        );
        const at = (pair?.key as Node | undefined)?.range?.[0] ?? node.range?.[0];
        return position(at);
      },
    };
  });
}

/** Parses roster text; `file` names it in errors and on the Persons. */
export function parseRoster(file: string, text: string): Roster {
  const ext = extname(file).toLowerCase();
  if (!['.csv', '.json', '.yaml', '.yml'].includes(ext))
    throw new RosterError(`${file}: a roster must be .csv, .json, .yaml or .yml`);
  const records = ext === '.csv' ? csvRecords(file, text) : documentRecords(file, text);
  const firstLine = new Map<string, number>();
  const rows = records.map((record) => {
    const row = toRow(file, record);
    const at = record.locate('employeeId');
    const seen = firstLine.get(row.employeeId);
    if (seen !== undefined)
      fail(file, at, `duplicate employeeId "${row.employeeId}" (first on line ${seen})`);
    firstLine.set(row.employeeId, at.line);
    return row;
  });
  return { name: basename(file), rows };
}

export function readRosterFile(path: string): Roster {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RosterError(`${path}: cannot read the roster: ${(err as Error).message}`);
  }
  return parseRoster(path, text);
}
