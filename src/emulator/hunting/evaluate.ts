import {
  KqlError,
  type Aggregate,
  type Comparison,
  type KqlQuery,
  type Row,
  type Scalar,
} from './kql.js';

/** Advanced Hunting column types as the answer's `Schema` names them (defender-api.md §4.12). */
export type ColumnType = 'DateTime' | 'String' | 'Boolean' | 'Int32' | 'Int64' | 'Dynamic';

/** A table the emulator serves: its columns and its rows, device by device. */
export interface HuntingTable {
  name: string;
  columns: Record<string, ColumnType>;
  /** Rows of the devices `keepDevice` accepts: `DeviceId` conditions are applied per device first. */
  rows(keepDevice: (deviceId: string) => boolean): Iterable<Row>;
}

export interface HuntingResult {
  schema: { Name: string; Type: ColumnType }[];
  results: Row[];
  /** Table rows read: what the query's CPU cost is counted from. */
  scanned: number;
}

/** Advanced Hunting keeps 30 days (§4.12); `ago()` further back finds nothing older. */
const RETENTION_MS = 30 * 86_400_000;

function unknownColumn(column: string): never {
  throw new KqlError(`Failed to resolve scalar expression named '${column}'`);
}

/** Numbers by value, everything else as ordinal strings; null first. */
function compare(a: Scalar | Scalar[] | undefined, b: Scalar | Scalar[] | undefined): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1;
  if (b === null || b === undefined) return 1;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function holds(row: Row, c: Comparison): boolean {
  // The emulator's logon events are the records `/logonusers` gives for its 30-day window,
  // whatever their dates, so a window of 30 days or less back keeps every one of them.
  if ('agoMs' in c.value) return true;
  const order = compare(row[c.column], c.value.literal);
  switch (c.op) {
    case '==':
      return order === 0;
    case '!=':
      return order !== 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
  }
}

function checkComparison(c: Comparison, columns: Record<string, ColumnType>): void {
  const type = columns[c.column] ?? unknownColumn(c.column);
  if (!('agoMs' in c.value)) return;
  if (type !== 'DateTime')
    throw new KqlError(`ago() compares with a datetime; '${c.column}' is ${type}`);
  if (c.op !== '>' && c.op !== '>=')
    throw new KqlError(`the emulator reads only '${c.column} > ago(…)' windows, not '${c.op}'`);
  if (c.value.agoMs > RETENTION_MS)
    throw new KqlError('Advanced Hunting keeps 30 days of data: ago() may reach back 30d at most');
}

function aggregateType(a: Aggregate, columns: Record<string, ColumnType>): ColumnType {
  if (a.fn === 'count') return 'Int64';
  const type = columns[a.column!] ?? unknownColumn(a.column!);
  if (a.toint) return 'Int32';
  return a.fn === 'make_set' ? 'Dynamic' : type;
}

function value(row: Row, a: Aggregate): Scalar {
  const v = row[a.column!] as Scalar;
  return a.toint ? (v === null ? null : Number(v)) : v;
}

function summarize(rows: Iterable<Row>, aggregates: Aggregate[], by: string[]): Row[] {
  const groups = new Map<string, Row>();
  for (const row of rows) {
    const key = JSON.stringify(by.map((c) => row[c]));
    let out = groups.get(key);
    if (!out) {
      out = Object.fromEntries(by.map((c) => [c, row[c] ?? null]));
      for (const a of aggregates)
        out[a.name] = a.fn === 'make_set' ? [] : a.fn === 'count' ? 0 : null;
      groups.set(key, out);
    }
    for (const a of aggregates) {
      if (a.fn === 'count') {
        out[a.name] = (out[a.name] as number) + 1;
        continue;
      }
      const v = value(row, a);
      if (v === null) continue;
      if (a.fn === 'make_set') {
        const set = out[a.name] as Scalar[];
        if (!set.includes(v)) set.push(v);
        continue;
      }
      const known = out[a.name] as Scalar;
      const better = a.fn === 'min' ? compare(v, known) < 0 : compare(v, known) > 0;
      if (known === null || better) out[a.name] = v;
    }
  }
  return [...groups.values()];
}

/** Runs a parsed query over `table`; a name the table or an earlier stage lacks is a KqlError. */
export function runQuery(query: KqlQuery, table: HuntingTable): HuntingResult {
  if (query.table !== table.name)
    throw new KqlError(
      `'${query.table}' could not be resolved to a table (the emulator serves ${table.name})`,
    );
  let columns: Record<string, ColumnType> = { ...table.columns };
  const deviceConditions: Comparison[] = [];
  let summarized = false;
  for (const stage of query.stages) {
    if (stage.kind === 'where') {
      for (const c of stage.conditions) checkComparison(c, columns);
      if (!summarized)
        deviceConditions.push(...stage.conditions.filter((c) => c.column === 'DeviceId'));
    } else if (stage.kind === 'summarize') {
      const next: Record<string, ColumnType> = {};
      for (const c of stage.by) next[c] = columns[c] ?? unknownColumn(c);
      for (const a of stage.aggregates) next[a.name] = aggregateType(a, columns);
      columns = next;
      summarized = true;
    } else if (stage.kind === 'order') {
      for (const k of stage.keys) if (!(k.column in columns)) unknownColumn(k.column);
    }
  }
  let scanned = 0;
  const source = table.rows((deviceId) =>
    deviceConditions.every((c) => holds({ DeviceId: deviceId }, c)),
  );
  let rows: Iterable<Row> = (function* () {
    for (const row of source) {
      scanned++;
      yield row;
    }
  })();
  for (const stage of query.stages) {
    const input = rows;
    switch (stage.kind) {
      case 'where':
        rows = (function* () {
          for (const row of input) if (stage.conditions.every((c) => holds(row, c))) yield row;
        })();
        break;
      case 'summarize':
        rows = summarize(input, stage.aggregates, stage.by);
        break;
      case 'order':
        rows = [...input].sort((a, b) => {
          for (const { column, descending } of stage.keys) {
            const order = compare(a[column], b[column]);
            if (order !== 0) return descending ? -order : order;
          }
          return 0;
        });
        break;
      case 'take':
        rows = [...input].slice(0, stage.count);
        break;
    }
  }
  const results = [...rows];
  return {
    schema: Object.entries(columns).map(([Name, Type]) => ({ Name, Type })),
    results,
    scanned,
  };
}
