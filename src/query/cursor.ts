/**
 * Cursor paging: a cursor names the result it belongs to (a hash of everything that shapes the
 * result) and the offset of the next page, so a cursor sent with another query is refused instead
 * of silently paging the wrong rows. The CLI, the engine and the HTTP API give out and take the
 * same cursors.
 */
import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import { QueryValidationError } from './errors.js';

interface CursorState {
  q: string;
  offset: number;
}

/** A cursor that is not one of ours, or belongs to another result. */
export class CursorError extends QueryValidationError {
  override name = 'CursorError';
}

export function resultIdentity(request: unknown): string {
  return createHash('sha256').update(stableStringify(request)).digest('base64url').slice(0, 16);
}

export function encodeCursor(identity: string, offset: number): string {
  return Buffer.from(JSON.stringify({ q: identity, offset } satisfies CursorState)).toString(
    'base64url',
  );
}

/** The offset a cursor points at; 0 without one. */
export function decodeCursor(cursor: string | undefined, identity: string): number {
  if (cursor === undefined) return 0;
  let state: Partial<CursorState>;
  try {
    state = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorState>;
  } catch {
    state = {};
  }
  if (!Number.isSafeInteger(state.offset) || (state.offset ?? -1) < 0)
    throw new CursorError('cursor: not a cursor defender-graph gave out');
  if (state.q !== identity)
    throw new CursorError('cursor: it belongs to a different query or filter');
  return state.offset!;
}

/** One page of `items` from `offset`, with the cursor of the next page when there is one. */
export function page<T>(
  items: T[],
  offset: number,
  limit: number,
  identity: string,
): { items: T[]; cursor?: string } {
  const slice = items.slice(offset, offset + limit);
  const next = offset + limit;
  return next < items.length
    ? { items: slice, cursor: encodeCursor(identity, next) }
    : { items: slice };
}
