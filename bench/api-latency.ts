/**
 * HTTP API latency: p50/p95 of the overview, an entity page and a two-hop J1QL query, over real
 * HTTP against `startHttpServer`, on graphs shaped like 10,000- (and 100,000-) machine tenants, on
 * SQLite and PostgreSQL. The graph comes from the store benchmark's generator
 * (bench/store-commit.ts --scenario), so all benchmarks measure the same shape.
 * Usage: npx tsx bench/api-latency.ts [--machines 10000] [--runs 21]
 * (writes bench/out/api.md; `npx tsx bench/publish.ts` gathers it into docs/benchmarks.md)
 */
import { execFileSync } from 'node:child_process';
import { startHttpServer } from '../src/server/index.js';
import { openGraphStore } from '../src/store/index.js';
import { benchDatabase, flagValue, generateScenario, percentile, writeSection } from './support.js';

const TWO_HOPS =
  "FIND microsoft_defender_logon_user AS u THAT HAS << HostAgent THAT IDENTIFIED Finding WITH severity = 'High' AS f RETURN u.username, COUNT(f) AS findings ORDER BY findings DESC LIMIT 10";

interface Probe {
  label: string;
  request: (base: string, machineKey: string) => [string, RequestInit];
}

const PROBES: Probe[] = [
  { label: 'overview (GET /api/v1/overview)', request: (base) => [`${base}/api/v1/overview`, {}] },
  {
    label: 'entity page (GET /api/v1/entities/:key)',
    request: (base, key) => [`${base}/api/v1/entities/${encodeURIComponent(key)}`, {}],
  },
  {
    label: 'two-hop query (POST /api/v1/query)',
    request: (base) => [
      `${base}/api/v1/query`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: TWO_HOPS }),
      },
    ],
  },
];

async function measure(url: string, init: RequestInit, runs: number) {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    const res = await fetch(url, init);
    const text = await res.text();
    // A J1QL query past its time budget is an answer too (400): the API's limit, reported as such.
    if (res.status === 400 && text.includes('time budget')) return { overBudget: true } as const;
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${text.slice(0, 200)}`);
    // The first answer warms caches (statement cache, the schema of the response serialiser).
    if (i > 0) times.push(performance.now() - started);
    bytes = text.length;
  }
  times.sort((a, b) => a - b);
  return {
    overBudget: false,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    bytes,
  } as const;
}

async function main() {
  const sizes = flagValue('--machines', '10000').split(',').map(Number);
  const runs = Number(flagValue('--runs', '21'));
  const rows: string[] = [];
  for (const machines of sizes) {
    for (const backend of ['sqlite', 'postgres'] as const) {
      const database = await benchDatabase(backend, `dg_bench_api_${machines}`);
      process.stderr.write(`… generating ${machines} machines on ${backend}\n`);
      generateScenario(database.url, machines);
      const store = await openGraphStore(database.url);
      const server = await startHttpServer({
        store,
        // Reads only: nothing to sync.
        syncControl: {
          requestSync: async () => ({ queued: false, reason: 'benchmark' }),
          nextSyncAt: async () => undefined,
        },
        host: '127.0.0.1',
        port: 0,
        version: 'bench',
      });
      const [machine] = await store.read<{ key: string }>(
        "SELECT key FROM entities WHERE type = 'microsoft_defender_machine' ORDER BY key LIMIT 1",
        [],
      );
      for (const probe of PROBES) {
        const [probeUrl, init] = probe.request(server.url, machine!.key);
        const r = await measure(probeUrl, init, runs);
        const [p50, p95, kib] = r.overBudget
          ? ['over the 30 s query budget (answered 400)', '', '']
          : [r.p50.toFixed(1), r.p95.toFixed(1), (r.bytes / 1024).toFixed(1)];
        process.stderr.write(`${machines} ${backend} ${probe.label}: p50 ${p50}, p95 ${p95}\n`);
        rows.push(
          `| ${machines.toLocaleString('en')} | ${backend} | ${probe.label} | ${p50} | ${p95} | ${kib} |`,
        );
      }
      await server.close();
      await store.close();
      await database.drop();
    }
  }
  const node = execFileSync(process.execPath, ['--version'], { encoding: 'utf8' }).trim();
  writeSection(
    'api.md',
    `## HTTP API latency (ms)

Command: \`npx tsx bench/api-latency.ts --machines ${sizes.join(',')} --runs ${runs}\` (Node ${node}; SQLite file in the temp folder; PostgreSQL 15 on 127.0.0.1; 2 shared cores).

Over real HTTP on loopback (Node's fetch against \`startHttpServer\`: routing, zod validation and
serialisation included), one request at a time, one warm-up then ${runs} measured requests. Graph: the
store benchmark's generator (\`bench/store-commit.ts --scenario\`: per machine a HostAgent and a device,
3 logon-user links and 8 machine→CVE links; every CVE is \`severity: 'High'\`, so the overview's
"newest critical CVEs" query finds none there but still runs). Entity page: a machine with its
raw data and its 13 relationships. The two-hop query's time is the J1QL engine's (see the J1QL latency
section, measured on a quieter machine); this run shared the 2 cores with a test run, so read the
figures as upper bounds. A query past the engine's default 30 s time budget is cancelled and answered
400, and is listed so. Two-hop query: \`${TWO_HOPS}\`.

| machines | backend | request | p50 | p95 | answer KiB |
|---:|---|---|---:|---:|---:|
${rows.join('\n')}
`,
  );
}

await main();
