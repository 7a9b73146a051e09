/**
 * Browser sessions after a login, kept in memory: the server is one process, and a restart
 * logging everyone out is acceptable for a self-hosted tool. Only the SHA-256 of the session id
 * (the cookie value) is kept, so the map holds nothing a cookie could be rebuilt from.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../../store/accounts.js';

export interface Session {
  user: { name: string; role: Role };
  expiresAt: number;
}

export const SESSION_IDLE_MS = 8 * 60 * 60 * 1000;

const digest = (id: string) => createHash('sha256').update(id).digest('base64url');

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly now: () => number = Date.now) {}

  create(user: Session['user']): string {
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(digest(id), { user, expiresAt: this.now() + SESSION_IDLE_MS });
    return id;
  }

  /** The live session for this cookie value, its idle timer restarted. */
  get(id: string): Session | undefined {
    const key = digest(id);
    const session = this.sessions.get(key);
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    session.expiresAt = this.now() + SESSION_IDLE_MS;
    return session;
  }

  delete(id: string): void {
    this.sessions.delete(digest(id));
  }
}
