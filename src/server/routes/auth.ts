/** Logging in and out, and "who am I" (with the CSRF token the UI sends on every POST). */
import { ApiError } from '../errors.js';
import type { ApiApp, RouteContext } from '../context.js';
import { DUMMY_HASH, verifyPassword } from '../auth/passwords.js';
import { SESSION_COOKIE, setSessionCookie } from '../auth/plugin.js';
import { LoginBody, LoginResult, Me, Ok, errorResponses } from '../schemas.js';

/** Login attempts per address per minute; more answer 429 until the window passes. */
export const LOGIN_ATTEMPTS_PER_MINUTE = 5;

export function authRoutes(app: ApiApp, ctx: RouteContext): void {
  const { accounts, sessions } = ctx.auth;

  app.post(
    '/api/v1/auth/login',
    {
      config: { rateLimit: { max: LOGIN_ATTEMPTS_PER_MINUTE, timeWindow: 60_000 } },
      schema: {
        tags: ['auth'],
        summary: 'Log in with a local user; sets the session cookie',
        body: LoginBody,
        response: { 200: LoginResult, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const user = await accounts.findUser(username);
      const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
      if (!user || !valid)
        throw new ApiError(401, 'unauthenticated', 'wrong user name or password');
      const view = { name: user.name, role: user.role };
      setSessionCookie(request, reply, await sessions.create(view));
      return { user: view, csrfToken: reply.generateCsrf() };
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'End the session',
        response: { 200: Ok, ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      if (request.principal?.sessionId) await sessions.delete(request.principal.sessionId);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true as const };
    },
  );

  app.get(
    '/api/v1/auth/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'Who is asking; whether login is required; the CSRF token for POSTs',
        response: { 200: Me },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      return {
        authenticated: principal !== undefined,
        authRequired: ctx.auth.required,
        ...(principal && { user: { name: principal.name, role: principal.role } }),
        csrfToken: reply.generateCsrf(),
      };
    },
  );
}
