/**
 * Browser sessions after a login, kept in the store (see `store/sessions.ts`): every `serve`
 * process shares them, and a restart logs no one out. Only the SHA-256 of the session id (the
 * cookie value) is stored, so the table holds nothing a cookie could be rebuilt from.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../../store/accounts.js';
import type { SessionRows } from '../../store/sessions.js';

export interface SessionUser {
  name: string;
  role: Role;
}

export const SESSION_IDLE_MS = 8 * 60 * 60 * 1000;

const digest = (id: string) => createHash('sha256').update(id).digest('base64url');

export class SessionStore {
  constructor(
    private readonly rows: SessionRows,
    private readonly now: () => number = Date.now,
  ) {}

  async create(user: SessionUser): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    await this.rows.add(digest(id), user.name, this.now(), SESSION_IDLE_MS);
    return id;
  }

  /** The live session's user for this cookie value, its idle timer restarted. */
  get(id: string): Promise<SessionUser | undefined> {
    return this.rows.touch(digest(id), this.now(), SESSION_IDLE_MS);
  }

  delete(id: string): Promise<void> {
    return this.rows.remove(digest(id));
  }
}
