import { searchIndexSchema } from '../search-index.js';
import type { ColumnTypes } from './column-types.js';

/** The full-text index of J1QL's `FIND "term"` (search-index.ts), filled from stored entities. */
export function entitySearchIndex(t: ColumnTypes): string[] {
  return searchIndexSchema(t.dialect);
}
