/** People: how one key maps to an employee, the same explanation `people explain` prints. */
import { explainPeople } from '../../people/index.js';
import { ApiError, notFound } from '../errors.js';
import type { ApiApp, RouteContext } from '../context.js';
import { PeopleExplainQuery, PeopleExplanation, PeopleKey, errorResponses } from '../schemas.js';

export function peopleRoutes(app: ApiApp, ctx: RouteContext): void {
  const { store } = ctx;

  /** The named instance, or the only one in the store. */
  async function instanceIdOf(name: string | undefined): Promise<string> {
    if (name !== undefined) {
      const instance = await store.findInstance(name);
      if (!instance) throw notFound(`instance "${name}"`);
      return instance.id;
    }
    const known = await store.instances();
    if (known.length === 1) return known[0]!.id;
    throw new ApiError(
      400,
      'bad_request',
      known.length === 0
        ? 'instance: nothing synced yet'
        : `instance: the store holds several (${known.map((i) => i.name).join(', ')}); pass one`,
    );
  }

  app.get(
    '/api/v1/people/explain/:key',
    {
      schema: {
        tags: ['people'],
        summary:
          'Every people rule tried for a user, logon user, person or machine key, and why it linked or not',
        params: PeopleKey,
        querystring: PeopleExplainQuery,
        response: { 200: PeopleExplanation, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { key } = request.params;
      const { instance } = request.query;
      const instanceId = await instanceIdOf(instance);
      const name = instance ?? (await store.instances()).find((i) => i.id === instanceId)!.name;
      const explanation = await explainPeople(store, instanceId, ctx.peopleRules[name], key);
      if (!explanation)
        throw notFound(`directory user, logon user, person or machine with _key "${key}"`);
      return explanation;
    },
  );
}
