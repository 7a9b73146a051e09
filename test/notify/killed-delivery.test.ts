import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { JOB_SCHEMA } from '../../src/scheduler/job-queue.js';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { parseJson } from '../../src/store/rows.js';
import { BACKENDS } from '../store/backends.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { startHttpsReceiver, verifySignature, type HttpsReceiver } from '../support/receivers.js';
import { until } from '../support/until.js';
import { startCli, waitForStderr } from '../sync/cli.js';

const SECRET = 'kill-test-signing-key';
const LEASE_MS = 2000;
/** Sorted by name, the order rules are evaluated in: one is sent before the held one, one after. */
const RULE_NAMES = ['a-before', 'b-held', 'c-after'];

const rule = (name: string) => ({
  name,
  description: `${name}: machines present`,
  pollingInterval: 'DISABLED',
  question: { queries: [{ name: 'machines', query: 'FIND microsoft_defender_machine' }] },
  operations: [
    {
      when: { type: 'FILTER', condition: '{{queries.machines.total > 0}}' },
      actions: [
        { type: 'SET_PROPERTY', targetProperty: 'alertLevel', targetValue: 'HIGH' },
        { type: 'CREATE_ALERT' },
        { type: 'WEBHOOK', url: '${DG_KILL_HOOK}', body: { rule: name } },
      ],
    },
  ],
});

interface OutboxRow {
  id: number | string;
  status: string;
  attempts: number | string;
  claimed_by: string | null;
  payload: unknown;
}

describe.each(BACKENDS)('serve SIGKILLed during a webhook delivery ($name)', (backend) => {
  let emulator: TestEmulator;
  let db: { url: string; drop: () => Promise<void> };
  let store: GraphStore;
  let hook: HttpsReceiver;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    emulator = await startTestEmulator({ machines: 4, users: 5 });
    db = await backend.create('killed_delivery');
    store = await openGraphStore(db.url);
    hook = await startHttpsReceiver(verifySignature(SECRET));
    dir = mkdtempSync(join(tmpdir(), 'dg-killed-delivery-'));
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'rules', 'rules.yaml'), stringify(RULE_NAMES.map(rule)));
    config = join(dir, 'defender-graph.yaml');
    writeFileSync(
      config,
      stringify({
        instances: [{ ...emulator.config, name: 'lab', pollingInterval: 'THIRTY_MINUTES' }],
        monitoring: {
          rulesFolder: 'rules',
          defenderRules: false,
          webhookSecret: SECRET,
          caFile: hook.caFile,
          delivery: { maxAttempts: 3, backoffMs: 1000, leaseMs: LEASE_MS },
        },
      }),
      { mode: 0o600 },
    );
  });

  afterAll(async () => {
    await hook?.close();
    await store?.close();
    await db?.drop();
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const outbox = () =>
    store.read<OutboxRow>(
      'SELECT id, status, attempts, claimed_by, payload FROM outbox ORDER BY id',
      [],
    );
  const ruleOf = (row: OutboxRow) =>
    parseJson<{ fields: { body: { rule: string } } }>(row.payload).fields.body.rule;
  const ruleOfRequest = (body: string) => (JSON.parse(body) as { rule: string }).rule;

  it('sends the held notification again from the next process (same delivery id), once answered; nothing else twice', async () => {
    const args = ['serve', '--config', config, '--db', db.url, '--poll', '0.2', '--port', '0'];
    // On PostgreSQL the evaluation is a job: a short timeout lets the second process retry the
    // killed process's job, which must not queue the notifications again.
    if (backend.name === 'postgres') args.push('--job-timeout', '2', '--maintenance', '1');
    const env = { DG_KILL_HOOK: `${hook.url}/alerts` };

    hook.hold((r) => ruleOfRequest(r.body) === 'b-held');
    const first = startCli(args, env);
    const held = await Promise.race([
      hook.waitFor((r) => r.status === 0),
      first.done.then((r) => Promise.reject(new Error(`serve ended first:\n${r.stderr}`))),
    ]);
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    hook.hold(undefined);

    // The dead process's claim: the row is still pending, no attempt recorded.
    const beforeRestart = await outbox();
    expect(beforeRestart.map((r) => [ruleOf(r), r.status, Number(r.attempts)])).toEqual([
      ['a-before', 'delivered', 1],
      ['b-held', 'pending', 0],
      ['c-after', 'pending', 0],
    ]);
    const heldRow = beforeRestart[1]!;
    expect(held.headers['x-defender-graph-delivery']).toBe(String(heldRow.id));
    expect(heldRow.claimed_by).toBe(String(first.child.pid));

    const second = startCli(args, env);
    try {
      await waitForStderr(second.child, '"msg":"serving"');
      const again = await hook.waitFor(
        (r) => r.status === 200 && r !== held && r.body === held.body,
      );
      expect(again.headers['x-defender-graph-delivery']).toBe(String(heldRow.id));
      await until('every notification to be delivered', outbox, (rows) =>
        rows.every((r) => r.status === 'delivered'),
      );
      if (backend.name === 'postgres')
        await until(
          "the killed process's evaluation job to be retried and finish",
          () =>
            store.read<{ state: string }>(
              `SELECT state FROM ${JOB_SCHEMA}.job WHERE name = 'evaluate' AND data->>'kind' = 'sync'`,
              [],
            ),
          (jobs) => jobs.length > 0 && jobs.every((j) => j.state === 'completed'),
        );
    } finally {
      second.child.kill('SIGTERM');
    }
    const stopped = await second.done;
    expect(stopped.code, stopped.stderr).toBe(0);

    // At least once, as docs/monitoring.md says: the held body twice with one delivery id, the
    // second answered; every other notification once.
    const received = hook.requests.map((r) => [
      ruleOfRequest(r.body),
      r.headers['x-defender-graph-delivery'],
      r.status,
    ]);
    const rows = await outbox();
    const idOf = (name: string) => String(rows.find((r) => ruleOf(r) === name)!.id);
    expect(received.filter(([name]) => name === 'b-held')).toEqual([
      ['b-held', idOf('b-held'), 0],
      ['b-held', idOf('b-held'), 200],
    ]);
    expect(received.filter(([name]) => name !== 'b-held').sort()).toEqual([
      ['a-before', idOf('a-before'), 200],
      ['c-after', idOf('c-after'), 200],
    ]);
    expect(rows.map((r) => [ruleOf(r), r.status, Number(r.attempts), r.claimed_by])).toEqual([
      ['a-before', 'delivered', 1, null],
      ['b-held', 'delivered', 1, null],
      ['c-after', 'delivered', 1, null],
    ]);
    const attempts = await store.read<{
      outbox_id: number | string;
      attempt: number | string;
      outcome: string;
    }>('SELECT outbox_id, attempt, outcome FROM delivery_attempts ORDER BY outbox_id, attempt', []);
    expect(attempts.map((a) => [String(a.outbox_id), Number(a.attempt), a.outcome])).toEqual(
      RULE_NAMES.map((name) => [idOf(name), 1, 'delivered']),
    );
    const alerts = await store.read<{ status: string }>('SELECT status FROM alerts', []);
    expect(alerts.map((a) => a.status)).toEqual(['new', 'new', 'new']);
  });
});
