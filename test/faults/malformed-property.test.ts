import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MALFORMED_KINDS } from '../../src/emulator/faults/responses.js';
import { DefenderClient } from '../../src/microsoft/defender-client.js';
import type { MicrosoftApiError } from '../../src/microsoft/errors.js';
import { localApiClient, startHttpsServer, type TestServer } from '../microsoft/https-server.js';
import { BACKENDS } from '../store/backends.js';
import { liveGraph, startRig, sync, type FaultRig } from './harness.js';

const MACHINES = 'defender GET /api/machines';

/** The documented page, decided here from the OData envelope rules, not by the code under test. */
function documentedItems(body: string): unknown[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const { value, '@odata.nextLink': next } = parsed as Record<string, unknown>;
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v)))
    return undefined;
  if (next !== undefined && typeof next !== 'string') return undefined;
  return value;
}

const item = fc.record(
  { id: fc.string({ minLength: 1, maxLength: 12 }) },
  { noNullPrototype: true },
);
const validPage = fc.array(item, { maxLength: 4 }).map((value) => JSON.stringify({ value }));
/** Bodies a broken server or proxy can send with 200: any JSON, wrong `value`, cut-off or not JSON. */
const anyBody = fc.oneof(
  validPage,
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.jsonValue().map((value) => JSON.stringify({ value })),
  fc.jsonValue().map((next) => JSON.stringify({ value: [], '@odata.nextLink': next })),
  fc.tuple(validPage, fc.nat()).map(([page, cut]) => page.slice(0, Math.max(1, cut % page.length))),
  fc.string(),
  fc.constantFrom('<html><head><title>502 Bad Gateway</title></head></html>', '', 'null'),
);

describe('random 200 bodies through the real HTTP policy (fast-check)', () => {
  let server: TestServer;
  let next = '';
  beforeAll(async () => {
    server = await startHttpsServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(next);
    });
  });
  afterAll(async () => server?.close());

  it('a page is either its documented items or a named failure: never an empty page by mistake', async () => {
    const http = localApiClient(server, 'defender', { maxRetries: 1 });
    const defender = new DefenderClient(http, server.url);
    await fc.assert(
      fc.asyncProperty(anyBody, async (body) => {
        next = body;
        const items = documentedItems(body);
        // A documented but empty page that still says "more" cannot make progress.
        const expected =
          items === undefined
            ? { failed: 'malformed' }
            : items.length === 0 && body.includes('"@odata.nextLink"')
              ? { failed: 'BAD_PAGING' }
              : { items };
        const read: unknown[] = [];
        let outcome: { items: unknown[] } | { failed: string };
        try {
          for await (const page of defender.machines()) read.push(...page);
          outcome = { items: read };
        } catch (err) {
          const { code, message } = err as MicrosoftApiError;
          const named = message.startsWith(`${MACHINES}: malformed response, `);
          outcome = {
            failed: ['BAD_RESPONSE', 'TRUNCATED'].includes(code) && named ? 'malformed' : code,
          };
        }
        expect(outcome).toEqual(expected);
      }),
      { numRuns: 300, seed: 8 },
    );
  });
});

describe.each(BACKENDS)(
  'random malformed pages never lose stored data on $name (fast-check)',
  (backend) => {
    let rig: FaultRig;
    let before: Record<string, string[]>;
    beforeAll(async () => {
      rig = await startRig(backend, 'malformed-property', { seed: 32 });
      expect((await sync(rig)).exitCode).toBe(0);
      before = await liveGraph(rig.store);
    });
    afterAll(async () => rig?.close());

    it('whatever page breaks, and however often, the stored graph keeps every object', async () => {
      const paths = [
        '/graph/v1.0/users',
        '/graph/v1.0/groups',
        '/defender/api/machines',
        '/defender/api/vulnerabilities',
      ];
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...MALFORMED_KINDS),
          fc.double({ min: 0.05, max: 1, noNaN: true }),
          fc.subarray(paths, { minLength: 1 }),
          async (kind, rate, chosen) => {
            await rig.te.setFaults({ malformed: { kind, rate }, paths: chosen });
            try {
              const outcome = await sync(rig);
              expect([0, 1, 3]).toContain(outcome.exitCode);
              const failed = Object.values(outcome.steps).filter(
                (step) => step.status === 'failure',
              );
              for (const step of failed) expect(['BAD_RESPONSE', 'TRUNCATED']).toContain(step.code);
            } finally {
              await rig.te.clearFaults();
            }
            expect(await liveGraph(rig.store)).toEqual(before);
          },
        ),
        { numRuns: 6, seed: 9 },
      );
    });
  },
);
