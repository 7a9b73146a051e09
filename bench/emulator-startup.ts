/**
 * Startup time and memory of `defender-graph emulator --machines 100000 --users 50000`, run as the
 * built CLI in a child process: time until it listens, until a client has a token and the first
 * page of machines and of users, and until every machine has been listed; peak RSS (VmHWM) after
 * each. Run twice: cold (new data directory, so the CA and certificates are generated) and warm.
 * Usage: npm run build && npx tsx bench/emulator-startup.ts   (writes bench/out/emulator-startup.md)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';
import { parse } from 'yaml';
import { writeSection } from './support.js';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const SIZE_FLAGS = ['--machines', '100000', '--users', '50000'];

interface Figures {
  listeningMs: number;
  firstMachinesPageMs: number;
  firstUsersPageMs: number;
  allMachinesMs: number;
  machinesListed: number;
  hwmAfterFirstPageMiB: number;
  hwmAfterAllMachinesMiB: number;
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
  return Math.round(kb / 1024);
}

async function firstLine(child: ChildProcess): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
}

async function getJson(
  url: string,
  dispatcher: Agent,
  token: string,
): Promise<Record<string, unknown>> {
  const res = await request(url, { dispatcher, headers: { authorization: `Bearer ${token}` } });
  const body = (await res.body.json()) as Record<string, unknown>;
  if (res.statusCode !== 200)
    throw new Error(`GET ${url}: ${res.statusCode} ${JSON.stringify(body)}`);
  return body;
}

async function measure(dataDir: string): Promise<Figures> {
  const configFile = join(dataDir, 'defender-graph.yaml');
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      cli,
      'emulator',
      ...SIZE_FLAGS,
      '--port',
      '0',
      '--json',
      '--data-dir',
      dataDir,
      '--write-config',
      configFile,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const info = JSON.parse(await firstLine(child)) as { url: string; caFile: string };
    const listeningMs = performance.now() - started;
    const instance = (
      parse(readFileSync(configFile, 'utf8')) as { instances: Record<string, string>[] }
    ).instances[0]!;
    const dispatcher = new Agent({ connect: { ca: readFileSync(info.caFile, 'utf8') } });
    const token = async (scope: string) => {
      const res = await request(`${info.url}/${instance.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: instance.clientId!,
          client_secret: instance.clientSecret!,
          scope,
        }).toString(),
      });
      return ((await res.body.json()) as { access_token: string }).access_token;
    };
    const defenderToken = await token('https://api.securitycenter.microsoft.com/.default');
    let page = await getJson(`${info.url}/defender/api/machines`, dispatcher, defenderToken);
    const firstMachinesPageMs = performance.now() - started;
    const graphToken = await token('https://graph.microsoft.com/.default');
    await getJson(`${info.url}/graph/v1.0/users?$top=999`, dispatcher, graphToken);
    const firstUsersPageMs = performance.now() - started;
    const hwmAfterFirstPageMiB = peakRssMiB(child.pid!);

    let machinesListed = (page.value as unknown[]).length;
    while (typeof page['@odata.nextLink'] === 'string') {
      page = await getJson(page['@odata.nextLink'], dispatcher, defenderToken);
      machinesListed += (page.value as unknown[]).length;
    }
    const allMachinesMs = performance.now() - started;
    const figures = {
      listeningMs,
      firstMachinesPageMs,
      firstUsersPageMs,
      allMachinesMs,
      machinesListed,
      hwmAfterFirstPageMiB,
      hwmAfterAllMachinesMiB: peakRssMiB(child.pid!),
    };
    await dispatcher.close();
    return figures;
  } finally {
    child.kill('SIGTERM');
  }
}

if (!existsSync(cli)) {
  process.stderr.write(`error: ${cli} is missing; run \`npm run build\` first\n`);
  process.exit(1);
}
const dataDir = mkdtempSync(join(tmpdir(), 'dg-bench-emulator-'));
try {
  const cold = await measure(dataDir);
  const warm = await measure(dataDir);
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const row = (name: string, f: Figures) =>
    `| ${name} | ${s(f.listeningMs)} | ${s(f.firstMachinesPageMs)} | ${s(f.firstUsersPageMs)} | ${s(f.allMachinesMs)} (${f.machinesListed.toLocaleString('en')} machines) | ${f.hwmAfterFirstPageMiB} MiB | ${f.hwmAfterAllMachinesMiB} MiB |`;
  const section = `## Emulator startup (100,000 machines, 50,000 users)

Command: \`npm run build && npx tsx bench/emulator-startup.ts\`, which runs
\`node dist/cli/main.js emulator ${SIZE_FLAGS.join(' ')} --port 0 --json\` as a child process and
measures from spawn: listening (JSON line printed), a token plus the first \`/defender/api/machines\`
page (10,000 machines), a token plus the first \`/graph/v1.0/users?$top=999\` page, every machine
listed through the nextLinks, and the child's peak RSS (\`VmHWM\` in \`/proc/PID/status\`). "cold"
uses a new data directory (CA, server and client certificates generated); "warm" reuses it.
Machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.versions.node}.

| run | listening | first machines page | first users page | all machines | peak RSS after first pages | peak RSS after all machines |
| --- | --- | --- | --- | --- | --- | --- |
${row('cold', cold)}
${row('warm', warm)}
`;
  writeSection('emulator-startup.md', section);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
