import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { dirname } from 'node:path';
import { stringify } from 'csv-stringify';
import type { Writable } from 'node:stream';
import type { GraphStore } from './graph-store.js';
import type { CommittedObject } from './committed-objects.js';
import { METADATA_FIELDS } from './rows.js';
import { neutraliseFormula } from '../util/csv-cell.js';
import { makePrivateDir, PRIVATE_FILE_MODE } from '../util/private-files.js';

export interface ExportScope {
  instanceId?: string;
  includeDeleted?: boolean;
}

export interface ExportCounts {
  entities: number;
  relationships: number;
}

/** Writes with back-pressure, so a large graph streams through constant memory. */
async function write(stream: Writable, chunk: unknown): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

/** Ends `stream` once everything reached `out`; a file is closed, a stream given (stdout) stays open. */
async function finish(stream: Writable, out: Writable, isFile: boolean): Promise<void> {
  if (stream !== out) {
    // Piped with `end: false`: its last chunk has gone to `out` once both of its sides are done.
    stream.end();
    await finished(stream);
  }
  if (isFile) {
    out.end();
    await once(out, 'finish');
  }
}

async function walk(
  store: GraphStore,
  scope: ExportScope,
  each: (object: CommittedObject, kind: 'entity' | 'relationship') => Promise<void>,
): Promise<ExportCounts> {
  const counts: ExportCounts = { entities: 0, relationships: 0 };
  for (const kind of ['entity', 'relationship'] as const) {
    await store.iterate({ kind, ...scope }, async (object) => {
      await each(object, kind);
      counts[kind === 'entity' ? 'entities' : 'relationships']++;
    });
  }
  return counts;
}

/**
 * Writes the committed graph (or one instance of it) to a file, or to a stream it leaves open
 * (stdout); resolves to what it wrote.
 */
export type Exporter = (
  store: GraphStore,
  target: string | Writable,
  scope: ExportScope,
) => Promise<ExportCounts>;

async function createExportFile(target: string | Writable): Promise<Writable> {
  if (typeof target !== 'string') return target;
  const path = target;
  makePrivateDir(dirname(path));
  const file = createWriteStream(path, { mode: PRIVATE_FILE_MODE });
  await once(file, 'open');
  // A file that existed keeps its mode on open: an export is tenant data either way.
  await chmod(path, PRIVATE_FILE_MODE);
  return file;
}

/** One JSON object per line: entities first, then relationships (they carry `_fromEntityKey`). */
export const exportJsonl: Exporter = async (store, target, scope) => {
  const file = await createExportFile(target);
  const counts = await walk(store, scope, (object) => write(file, `${JSON.stringify(object)}\n`));
  await finish(file, file, typeof target === 'string');
  return counts;
};

const CSV_COLUMNS = [
  'kind',
  '_key',
  '_type',
  '_class',
  '_fromEntityKey',
  '_toEntityKey',
  ...METADATA_FIELDS,
  'properties',
];

/** One row per object: the J1 columns, then every other property as one JSON object. */
export const exportCsv: Exporter = async (store, target, scope) => {
  const file = await createExportFile(target);
  const csv = stringify({
    header: true,
    columns: CSV_COLUMNS,
    cast: { boolean: (b) => String(b) },
  });
  csv.pipe(file, { end: false });
  const fixed = new Set(CSV_COLUMNS);
  const counts = await walk(store, scope, (object, kind) => {
    const properties = Object.fromEntries(Object.entries(object).filter(([k]) => !fixed.has(k)));
    const row: Record<string, unknown> = { kind, properties: JSON.stringify(properties) };
    for (const column of CSV_COLUMNS.slice(1, -1)) {
      const value = object[column];
      const text = Array.isArray(value) ? JSON.stringify(value) : value;
      row[column] = typeof text === 'string' ? neutraliseFormula(text) : text;
    }
    return write(csv, row);
  });
  await finish(csv, file, typeof target === 'string');
  return counts;
};
