/**
 * Who is asking, and may they: resolves the principal of every request (API token, session
 * cookie, or the open loopback user), enforces the session requirement, the CSRF token on every
 * state-changing request that rides on a cookie, and the Host check of an open loopback server.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import type {} from '@fastify/csrf-protection';
import type { AccountStore, Role } from '../../store/accounts.js';
import { ApiError } from '../errors.js';
import { hashApiToken } from './api-tokens.js';
import {
  isStateChanging,
  loopbackHostAllowed,
  may,
  needsPrincipal,
  type Action,
} from './access.js';
import type { SessionStore } from './sessions.js';

export const SESSION_COOKIE = 'dg_session';

export interface Principal {
  name: string;
  role: Role;
  via: 'session' | 'token' | 'loopback';
  /** The session cookie value, for logout. */
  sessionId?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface AuthContext {
  /** False only for a loopback bind with no users. */
  required: boolean;
  accounts: AccountStore;
  sessions: SessionStore;
}

const LOOPBACK_PRINCIPAL: Principal = { name: 'local', role: 'admin', via: 'loopback' };

async function identify(
  request: FastifyRequest,
  auth: AuthContext,
): Promise<Principal | undefined> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const found = match ? await auth.accounts.findToken(hashApiToken(match[1]!)) : undefined;
    if (!found) throw new ApiError(401, 'unauthenticated', 'the API token is not valid');
    return { name: found.user.name, role: found.user.role, via: 'token' };
  }
  const sessionId = request.cookies[SESSION_COOKIE];
  // The session's user as stored now: `users remove` (another process) ends it, a changed role applies at once.
  const user = sessionId ? await auth.sessions.get(sessionId) : undefined;
  if (user && sessionId) return { name: user.name, role: user.role, via: 'session', sessionId };
  return auth.required ? undefined : LOOPBACK_PRINCIPAL;
}

/** A route's guard: the principal must be allowed `action`. */
export function requireAction(action: Action) {
  return async (request: FastifyRequest): Promise<void> => {
    const principal = request.principal;
    if (!principal) throw new ApiError(401, 'unauthenticated', 'log in first');
    if (!may(principal.role, action))
      throw new ApiError(
        403,
        'forbidden',
        `the ${principal.role} role may not do this (${action} needs the admin role)`,
      );
  };
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, id: string): void {
  reply.setCookie(SESSION_COOKIE, id, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
  });
}

export function registerAuthHooks(app: FastifyInstance, auth: AuthContext): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    if (!auth.required && !loopbackHostAllowed(request.headers.host))
      throw new ApiError(
        403,
        'forbidden_host',
        'this server answers only requests addressed to localhost or 127.0.0.1',
      );
    const path = request.url.split('?')[0]!;
    request.principal = await identify(request, auth);
    if (needsPrincipal(path) && !request.principal)
      throw new ApiError(401, 'unauthenticated', 'log in first (or send an API token)');
  });
  // Cookies are sent by the browser on cross-site requests too; a bearer token never is.
  app.addHook('onRequest', (request, reply, done) => {
    const path = request.url.split('?')[0]!;
    if (
      isStateChanging(request.method, path) &&
      path.startsWith('/api/') &&
      request.principal?.via !== 'token'
    )
      app.csrfProtection(request, reply, done);
    else done();
  });
}
