import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFENDER_RULES_FOLDER,
  acknowledgeAlert,
  evaluateAfterSync,
  getAlert,
  importRules,
  listAlerts,
  loadRuleFolder,
  mergeLoaded,
  parseRuleText,
  type EvaluationSummary,
  type MonitorOptions,
} from '../../src/alerts/index.js';
import { runQuery } from '../../src/query/engine.js';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { syncInstance } from '../../src/sync/run-sync.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { BACKENDS } from '../store/backends.js';

const TEST_RULES = `
- name: every-machine
  description: Every Defender machine, tagged and posted when new.
  pollingInterval: ONE_HOUR
  triggerActionsOnNewEntitiesOnly: true
  question:
    queries:
      - name: machines
        query: FIND microsoft_defender_machine
  operations:
    - when: { type: FILTER, condition: ["AND", ["queries.machines.total", ">", 0]] }
      actions:
        - { type: SET_PROPERTY, targetProperty: alertLevel, targetValue: MEDIUM }
        - { type: CREATE_ALERT }
        - type: TAG_ENTITIES
          entities: "{{queries.machines.data}}"
          tags: [{ name: Fleet, value: watched }]
        - type: WEBHOOK
          url: "\${DG_TEST_HOOK}"
          body:
            count: "{{queries.machines.total}}"
            ids: "{{queries.machines.data | mapProperty('id')}}"
- name: broken-query
  notifyOnFailure: true
  question:
    queries:
      - query: FIND microsoft_defender_machine WITH
  operations:
    - when: { type: FILTER, condition: "{{queries.query0.total > 0}}" }
      actions:
        - { type: CREATE_ALERT }
        - { type: WEBHOOK, url: "\${DG_TEST_HOOK}", body: "never rendered" }
`;

interface OutboxRow {
  rule_id: string;
  channel: string;
  target: string;
  payload: unknown;
}

const parse = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v);

describe.each(BACKENDS)('rules evaluated after syncs of the emulator on $name', (backend) => {
  let emulator: TestEmulator;
  let db: { url: string; drop: () => Promise<void> };
  let store: GraphStore;
  let options: MonitorOptions;

  beforeAll(async () => {
    emulator = await startTestEmulator({ machines: 10, users: 20, groups: 4 });
    db = await backend.create('monitor');
    store = await openGraphStore(db.url);
    options = { store, monitoring: { params: {} }, now: () => Date.now() };
    await importRules(
      store,
      mergeLoaded([
        parseRuleText(TEST_RULES, 'test-rules.yaml'),
        loadRuleFolder(DEFENDER_RULES_FOLDER),
      ]),
      Date.now(),
    );
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
    await emulator?.close();
  });

  const byName = (summaries: EvaluationSummary[], name: string) =>
    summaries.find((s) => s.ruleName === name)!;

  async function syncAndEvaluate(): Promise<EvaluationSummary[]> {
    const record = await syncInstance({ instance: emulator.config, store });
    expect(record.status).toBe('success');
    return evaluateAfterSync(record, options);
  }

  async function outbox(ruleName: string): Promise<OutboxRow[]> {
    const rows = await (
      await store.state()
    ).all<OutboxRow>(
      `SELECT o.rule_id, o.channel, o.target, o.payload FROM outbox o JOIN alert_rules r ON r.id = o.rule_id
       WHERE r.name = ? ORDER BY o.id`,
      [ruleName],
    );
    return rows;
  }

  it('opens an alert, tags the entities, queues one webhook with every machine; a failing rule is marked failed and notifies; others still run', async () => {
    const truth = await emulator.truth();
    const summaries = await syncAndEvaluate();
    const every = byName(summaries, 'every-machine');
    expect(every).toMatchObject({
      status: 'success',
      resultSize: truth.counts.machines,
      alertRaised: true,
      alertStatus: 'new',
      notificationsQueued: 1,
    });
    const [hook] = await outbox('every-machine');
    expect(hook!.target).toBe('WEBHOOK to ${DG_TEST_HOOK}');
    const payload = parse(hook!.payload) as {
      fields: { url: string; body: { count: number; ids: string[] } };
    };
    expect(payload.fields.url).toBe('${DG_TEST_HOOK}');
    expect(payload.fields.body.count).toBe(truth.counts.machines);
    expect([...payload.fields.body.ids].sort()).toEqual([...truth.machines!].sort());

    const tagged = await runQuery(
      store,
      "FIND microsoft_defender_machine WITH tag.Fleet = 'watched'",
    );
    expect(tagged.data).toHaveLength(truth.counts.machines);

    const broken = byName(summaries, 'broken-query');
    expect(broken.status).toBe('failed');
    expect(broken.error).toMatch(/^line 1, column \d+: /);
    const [notice] = await outbox('broken-query');
    expect(parse(notice!.payload) as { fields: { body: string }; failure: boolean }).toMatchObject({
      failure: true,
      fields: { body: `Alert rule "broken-query" failed to evaluate: ${broken.error}` },
    });
    expect(summaries.filter((s) => s.status === 'failed').map((s) => s.ruleName)).toEqual([
      'broken-query',
    ]);
  });

  it('an unchanged second sync keeps the alert open (ongoing), sends nothing new, and keeps the tags', async () => {
    const truth = await emulator.truth({ lists: false });
    const summaries = await syncAndEvaluate();
    expect(byName(summaries, 'every-machine')).toMatchObject({
      alertStatus: 'ongoing',
      notificationsQueued: 0,
    });
    expect(await outbox('every-machine')).toHaveLength(1);
    const tagged = await runQuery(
      store,
      "FIND microsoft_defender_machine WITH tag.Fleet = 'watched'",
    );
    expect(tagged.data).toHaveLength(truth.counts.machines);
  });

  it('change rules fire on exactly the changes /admin/advance made; an acknowledged alert stays acknowledged; change alerts resolve on the next quiet sync', async () => {
    const [open] = await listAlerts(store, { rule: 'every-machine' });
    await acknowledgeAlert(store, open!.id, 'known fleet', 'tester', Date.now());
    const report = await emulator.advance();
    const truth = await emulator.truth();
    const users = new Set(truth.users);
    const summaries = await syncAndEvaluate();

    const disabled = byName(summaries, 'defender-account-disabled');
    expect(disabled.resultSize).toBe(report.users.disabled.length);
    const disabledAlert = await getAlert(store, disabled.alertId!);
    expect(
      (disabledAlert.rows.changes as { properties: { id: string } }[])
        .map((c) => c.properties.id)
        .sort(),
    ).toEqual([...report.users.disabled].sort());

    const joined = report.groups.membersAdded.filter((m) => users.has(m.memberId));
    const added = byName(summaries, 'defender-user-added-to-group');
    expect(added.resultSize).toBe(joined.length);

    const logons = byName(summaries, 'defender-new-logon-user-on-machine');
    expect(logons.resultSize).toBe(report.logons.added.length);

    const every = byName(summaries, 'every-machine');
    expect(every.alertStatus).toBe('acknowledged');
    const hooks = await outbox('every-machine');
    // The seeded round onboards machines: the second webhook carries exactly those.
    expect(report.machines.onboarded.length).toBeGreaterThan(0);
    expect(hooks).toHaveLength(2);
    const body = (parse(hooks[1]!.payload) as { fields: { body: { ids: string[] } } }).fields.body;
    expect([...body.ids].sort()).toEqual([...report.machines.onboarded].sort());

    const quiet = await syncAndEvaluate();
    expect(byName(quiet, 'defender-account-disabled').resultSize).toBe(0);
    expect((await getAlert(store, disabled.alertId!)).status).toBe('resolved');
    expect(byName(quiet, 'every-machine').alertStatus).toBe('acknowledged');
    const evaluations = await (
      await store.state()
    ).all<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM rule_evaluations e JOIN alert_rules r ON r.id = e.rule_id WHERE r.name = 'every-machine'`,
    );
    expect(Number(evaluations[0]!.n)).toBe(4);
  });
});
