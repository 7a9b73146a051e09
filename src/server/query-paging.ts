/** The shared cursors (src/query/cursor.ts), with a bad cursor as the API's 400. */
import { CursorError, decodeCursor as decode } from '../query/cursor.js';
import { ApiError } from './errors.js';

export { encodeCursor, page, resultIdentity } from '../query/cursor.js';

export function decodeCursor(cursor: string | undefined, identity: string): number {
  try {
    return decode(cursor, identity);
  } catch (err) {
    throw err instanceof CursorError ? new ApiError(400, 'bad_request', err.message) : err;
  }
}
