/** Liveness, readiness (the store answers) and the Prometheus scrape. */
import { SCHEMA_VERSION } from '../../store/index.js';
import { ApiError } from '../errors.js';
import type { ApiApp, RouteContext } from '../context.js';
import { Health, Ready, errorResponses } from '../schemas.js';

export function healthRoutes(app: ApiApp, ctx: RouteContext): void {
  app.get(
    '/api/v1/health',
    { schema: { tags: ['health'], summary: 'The process is up', response: { 200: Health } } },
    async () => ({ status: 'ok' as const, version: ctx.version }),
  );

  app.get(
    '/api/v1/ready',
    {
      schema: {
        tags: ['health'],
        summary: 'The store answers',
        response: { 200: Ready, ...errorResponses(503) },
      },
    },
    async () => {
      try {
        await ctx.store.instances();
      } catch (err) {
        throw new ApiError(
          503,
          'unavailable',
          `the store does not answer: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      return { status: 'ready' as const, schemaVersion: SCHEMA_VERSION };
    },
  );

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
}
