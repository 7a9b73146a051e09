/**
 * The Fastify application: plugins (security headers, cookies, CSRF, rate limit, OpenAPI and its
 * docs page, the web UI's files), the auth hooks, the routes, and the one error shape.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Fastify, { type FastifyHttpsOptions, type FastifyServerOptions } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { randomBytes } from 'node:crypto';
import type { Server as HttpsServer } from 'node:https';
import { ApiError, toApiError } from './errors.js';
import { errorResponses } from './schemas.js';
import { registerAuthHooks } from './auth/plugin.js';
import type { ApiApp, RouteContext } from './context.js';
import { alertRoutes } from './routes/alerts.js';
import { authRoutes } from './routes/auth.js';
import { entityRoutes } from './routes/entities.js';
import { graphRoutes } from './routes/graph.js';
import { healthRoutes } from './routes/health.js';
import { peopleRoutes } from './routes/people.js';
import { queryRoutes } from './routes/query.js';
import { syncRoutes } from './routes/syncs.js';

export interface AppOptions {
  /** `web/dist`: served at `/` with the SPA fallback when it exists. */
  webRoot?: string;
  /** TLS key and certificate (PEM); without them the server speaks plain HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Behind a reverse proxy: trust its X-Forwarded-* headers (client address, https). */
  trustProxy?: boolean;
  logger?: FastifyServerOptions['logger'];
}

/**
 * Entity strings are hostile: scripts only from this origin, no inline script, no plugins, no
 * framing. Styles may be inline (the editor and the graph renderer set them at run time);
 * workers may come from blob: URLs (the graph layout runs in one).
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  workerSrc: ["'self'", 'blob:'],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/docs';

export async function buildApp(ctx: RouteContext, options: AppOptions = {}): Promise<ApiApp> {
  const serverOptions: FastifyServerOptions = {
    logger: options.logger ?? false,
    trustProxy: options.trustProxy ?? false,
    bodyLimit: 1024 * 1024,
    // Relationship keys join two entity keys: far longer than Fastify's default of 100.
    routerOptions: { maxParamLength: 2000 },
  };
  const base = options.tls
    ? Fastify({ ...serverOptions, https: options.tls } as FastifyHttpsOptions<HttpsServer>)
    : Fastify(serverOptions);
  const app = (base as unknown as ApiApp).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler((err, request, reply) => {
    const apiError = toApiError(err);
    if (apiError.status >= 500) request.log.error({ err }, 'request failed');
    void reply.status(apiError.status).send(apiError.payload);
  });

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    crossOriginEmbedderPolicy: false,
  });
  // Cookies are signed with a key of this process: sessions live in memory anyway.
  await app.register(fastifyCookie, { secret: randomBytes(32).toString('base64url') });
  await app.register(fastifyCsrf, {
    cookieKey: 'dg_csrf',
    cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true, signed: true, secure: 'auto' },
    getToken: (request) => request.headers['x-csrf-token'] as string | undefined,
  });
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new ApiError(
        429,
        'rate_limited',
        `too many attempts: try again in ${Math.ceil(context.ttl / 1000)} s`,
      ),
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'defender-graph API',
        version: ctx.version,
        description:
          'The Microsoft Defender for Endpoint asset graph: overview, J1QL queries, entities and their history, syncs and their changes. Errors are `{ error: { code, message, line?, column? } }`.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'dg_session' },
          token: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ session: [] }, { token: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: DOCS_PATH, staticCSP: false });

  // Any API route may answer these: no session, not allowed or bad CSRF token, a fault.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1/') || !route.schema) return;
    route.schema.response = {
      ...errorResponses(401, 403, 500),
      ...(route.schema.response as object | undefined),
    };
  });
  registerAuthHooks(app, ctx.auth);
  app.addHook('onResponse', async (request, reply) => {
    ctx.metrics.observeRequest(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });

  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
  for (const routes of [
    healthRoutes,
    authRoutes,
    graphRoutes,
    syncRoutes,
    queryRoutes,
    entityRoutes,
    alertRoutes,
    peopleRoutes,
  ])
    routes(app, ctx);

  const webRoot = options.webRoot === undefined ? undefined : resolve(options.webRoot);
  const hasWeb = webRoot !== undefined && existsSync(join(webRoot, 'index.html'));
  if (hasWeb) await app.register(fastifyStatic, { root: webRoot, wildcard: false });
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (path.startsWith('/api/') || path === '/metrics' || request.method !== 'GET')
      throw new ApiError(404, 'not_found', `no route ${request.method} ${path}`);
    // The UI routes its own paths: any other GET is the single page.
    if (hasWeb) return reply.type('text/html; charset=utf-8').sendFile('index.html');
    throw new ApiError(
      404,
      'not_found',
      'the web UI is not built (npm run build writes web/dist); the API is under /api/v1',
    );
  });
  return app;
}
