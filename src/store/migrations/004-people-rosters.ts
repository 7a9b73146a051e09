import type { ColumnTypes } from './column-types.js';

/** The roster `people import` loaded per instance (one per instance: an import replaces it). */
export function peopleRosters(t: ColumnTypes): string[] {
  return [
    `CREATE TABLE people_rosters (
       instance_id TEXT PRIMARY KEY REFERENCES instances (id),
       name TEXT NOT NULL,
       rows ${t.json} NOT NULL,
       imported_on ${t.time} NOT NULL)`,
  ];
}
