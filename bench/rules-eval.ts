/**
 * Rule evaluation after a sync: the whole JupiterOne corpus (554 rules from the 557 entries) and
 * the Defender pack, evaluated as `serve` does after a committed sync of a 10,000-machine graph
 * (with its 1% churn sync, so change rules see real changes).
 * The graph comes from the store benchmark's generator (bench/store-commit.ts --scenario).
 * Usage: npx tsx bench/rules-eval.ts [--machines 10000] [--backends sqlite,postgres]
 * (writes bench/out/rules.md)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  DEFENDER_RULES_FOLDER,
  evaluateAfterSync,
  importRules,
  loadRuleFolder,
  mergeLoaded,
  rulesFromItems,
} from '../src/alerts/index.js';
import { openGraphStore } from '../src/store/index.js';
import { tsxArgs, writeSection } from './support.js';

const PG_SERVER = process.env.DEFENDER_GRAPH_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432';
const CORPUS = join(
  import.meta.dirname,
  '..',
  '..',
  'shared',
  'reference',
  'j1ql-corpus',
  'alert-rules.jsonl',
);

function corpusRules() {
  const sets = readFileSync(CORPUS, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      const entry = JSON.parse(l) as { source: string; rule: unknown };
      const loaded = rulesFromItems([entry.rule], entry.source);
      // Corpus names repeat across packs and docs examples: the line number keeps them apart.
      return { ...loaded, rules: loaded.rules.map((r) => ({ ...r, name: `${r.name} #${i + 1}` })) };
    });
  return mergeLoaded(sets);
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
  await client.connect();
  await client.query(sql);
  await client.end();
}

/** Child mode: import the rules, evaluate them after the last sync; prints one JSON line. */
async function evaluateChild(url: string) {
  const store = await openGraphStore(url);
  const loaded = mergeLoaded([corpusRules(), loadRuleFolder(DEFENDER_RULES_FOLDER)]);
  await importRules(store, loaded, Date.now());
  const [last] = await store.listSyncs({ limit: 1 });
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const summaries = await evaluateAfterSync(last!, {
    store,
    monitoring: { params: {} },
    now: () => Date.now(),
  });
  const ms = performance.now() - started;
  const evaluations = await (
    await store.state()
  ).all<{ rule_id: string; ms: number | string }>(
    'SELECT rule_id, ended_on - started_on AS ms FROM rule_evaluations ORDER BY ended_on - started_on DESC LIMIT 5',
  );
  const names = new Map(summaries.map((s) => [s.ruleId, s.ruleName]));
  await store.close();
  process.stdout.write(
    `${JSON.stringify({
      rules: summaries.length,
      failed: summaries.filter((s) => s.status === 'failed').length,
      raised: summaries.filter((s) => s.alertRaised).length,
      rows: summaries.reduce((n, s) => n + s.resultSize, 0),
      ms,
      slowest: evaluations.map((e) => [names.get(e.rule_id), Number(e.ms)]),
      rssBefore,
      peakRss: process.resourceUsage().maxRSS * 1024,
    })}\n`,
  );
}

function child(args: string[]): string {
  const run = spawnSync(process.execPath, tsxArgs(import.meta.filename, args), {
    encoding: 'utf8',
    maxBuffer: 1 << 22,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`${args.join(' ')} failed`);
  return run.stdout.trim().split('\n').pop()!;
}

async function driver(machines: number, backends: string[]) {
  const rows: string[] = [];
  const slow: string[] = [];
  for (const backend of backends) {
    const dir = mkdtempSync(join(tmpdir(), 'dg-bench-rules-'));
    const dbName = `dg_bench_rules_${machines}`;
    const url = backend === 'sqlite' ? `sqlite:${join(dir, 'graph.db')}` : `${PG_SERVER}/${dbName}`;
    if (backend === 'postgres') {
      await admin(`DROP DATABASE IF EXISTS ${dbName}`);
      await admin(`CREATE DATABASE ${dbName}`);
    }
    process.stderr.write(`… ${backend}: generating ${machines} machines (two syncs)\n`);
    const generator = spawnSync(
      process.execPath,
      tsxArgs(join(import.meta.dirname, 'store-commit.ts'), ['--scenario', url, String(machines)]),
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    if (generator.status !== 0) throw new Error('generator failed');
    process.stderr.write(`… ${backend}: evaluating\n`);
    const r = JSON.parse(child(['--evaluate', url])) as {
      rules: number;
      failed: number;
      raised: number;
      rows: number;
      ms: number;
      slowest: [string, number][];
      rssBefore: number;
      peakRss: number;
    };
    if (backend === 'postgres') await admin(`DROP DATABASE IF EXISTS ${dbName}`);
    rmSync(dir, { recursive: true, force: true });
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
    rows.push(
      `| ${machines.toLocaleString('en-US')} | ${backend} | ${r.rules} | ${(r.ms / 1000).toFixed(1)} s | ${(r.ms / r.rules).toFixed(1)} ms | ${r.raised} | ${r.failed} | ${r.rows.toLocaleString('en-US')} | ${mib(r.rssBefore)} | ${mib(r.peakRss)} |`,
    );
    slow.push(`- ${backend}: ${r.slowest.map(([n, ms]) => `${n} (${ms} ms)`).join('; ')}`);
  }
  const node = execFileSync(process.execPath, ['--version'], { encoding: 'utf8' }).trim();
  writeSection(
    'rules.md',
    `## Rules: the corpus and the Defender pack evaluated after a sync

Command: \`npx tsx bench/rules-eval.ts --machines ${machines} --backends ${backends.join(',')}\` (Node ${node}; run once).

The graph is the store benchmark's generated tenant after its first sync and its 1% churn sync.
Every rule of \`alert-rules.jsonl\` (554 rules: the 557 entries less 2 pack-defaults objects and 1
fragment) and the 13 Defender rules are imported, then evaluated once as \`serve\` does after a
commit (\`evaluateAfterSync\`: query rules on the graph, change rules on the churn sync's diff), one
after the other, each evaluation recorded. "failed" are rules whose J1QL this engine does not run
(full-text search roots, malformed docs examples); "raised" opened an alert; "rows" is the sum of
result sizes. RSS is the evaluating process (before the evaluations / peak).

| machines | backend | rules | total | per rule | raised | failed | rows | RSS before | peak RSS |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Slowest evaluations:

${slow.join('\n')}
`,
  );
}

const args = process.argv.slice(2);
if (args[0] === '--evaluate') await evaluateChild(args[1]!);
else {
  const flag = (name: string, fallback: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1]! : fallback;
  };
  await driver(
    Number(flag('--machines', '10000')),
    flag('--backends', 'sqlite,postgres').split(','),
  );
}
