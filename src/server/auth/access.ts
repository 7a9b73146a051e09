/**
 * Access decisions as data and pure functions: which binds need authentication, what each role
 * may do, which paths are open without a session.
 */
import { isIP } from 'node:net';
import type { Role } from '../../store/accounts.js';

/** Loopback addresses and names: only this machine can connect. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./i.test(bare);
  return false;
}

export class AccessConfigurationError extends Error {
  override name = 'AccessConfigurationError';
}

/**
 * Whether requests must authenticate. A loopback bind with no users is open (only this machine
 * reaches it); any other bind needs at least one user, else the server must not start.
 */
export function authRequired(host: string, userCount: number): boolean {
  if (userCount > 0) return true;
  if (isLoopback(host)) return false;
  throw new AccessConfigurationError(
    `refusing to listen on ${host} without authentication: only 127.0.0.1 is served without login. ` +
      'Add a user first: defender-graph users add NAME --role admin',
  );
}

export type Action = 'read' | 'sync.run' | 'alert.acknowledge' | 'rule.edit';

const ALLOWED: Record<Role, readonly Action[]> = {
  viewer: ['read'],
  admin: ['read', 'sync.run', 'alert.acknowledge', 'rule.edit'],
};

export function may(role: Role, action: Action): boolean {
  return ALLOWED[role].includes(action);
}

/** Paths answered without a session: liveness, logging in, and what the login page needs. */
const OPEN_API_PATHS = new Set([
  '/api/v1/health',
  '/api/v1/ready',
  '/api/v1/auth/login',
  '/api/v1/auth/me',
]);

/**
 * The API's data and the metrics need a principal; the OpenAPI document, its docs page and the
 * web UI's static files do not (the login page is one of them), and they hold no data.
 */
export function needsPrincipal(path: string): boolean {
  if (OPEN_API_PATHS.has(path)) return false;
  return path.startsWith('/api/v1/') || path === '/metrics';
}

/**
 * An open loopback server answers only requests addressed to a loopback name: a web page whose
 * DNS name suddenly points at 127.0.0.1 (DNS rebinding) sends its own name in Host.
 */
export function loopbackHostAllowed(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const host = hostHeader.startsWith('[')
    ? hostHeader.slice(0, hostHeader.indexOf(']') + 1)
    : hostHeader.replace(/:\d+$/, '');
  return isLoopback(host);
}

/** POSTs that only read (a query body is too large or structured for a URL). */
const READ_ONLY_POSTS = new Set(['/api/v1/query', '/api/v1/query/csv', '/api/v1/j1ql/validate']);

/** Requests that change state: each one needs the CSRF token when it rides on a cookie. */
export function isStateChanging(method: string, path: string): boolean {
  if (['GET', 'HEAD', 'OPTIONS'].includes(method)) return false;
  return !(method === 'POST' && READ_ONLY_POSTS.has(path));
}
