import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';

/** Runs the real `defender-graph emulator` command in a child process. */
function runCli(args: string[]) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'emulator', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines: string[] = [];
  const waiters: { match: (line: string) => boolean; resolve: () => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.filter((w) => w.match(line))) w.resolve();
  });
  /** Resolves with every line printed so far once a line matches; rejects if the process exits first. */
  const waitFor = (match: (line: string) => boolean) =>
    new Promise<string[]>((resolve, reject) => {
      if (lines.some(match)) return resolve([...lines]);
      waiters.push({ match, resolve: () => resolve([...lines]) });
      void exit.then(() => reject(new Error(`emulator exited before printing it: ${stderr}`)));
    });
  return { child, exit, waitFor, stderr: () => stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'dg-emulator-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('defender-graph emulator', () => {
  it('--json prints one line, --write-config writes a loadable config, SIGTERM stops it with exit 0', async () => {
    const configFile = join(dir, 'defender-graph.yaml');
    const run = runCli([
      '--port',
      '0',
      '--json',
      '--users',
      '15',
      '--machines',
      '12',
      '--quota-scale',
      '50',
      '--data-dir',
      join(dir, 'data'),
      '--write-config',
      configFile,
    ]);
    const [line] = await run.waitFor(() => true);
    const info = JSON.parse(line!) as Record<string, unknown>;
    expect(info.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(info.configPath).toBe(configFile);
    expect(info.caFile).toBe(join(dir, 'data', 'ca.pem'));
    expect(info.sizes).toMatchObject({ users: 15, machines: 12 });

    const loaded = loadConfigFile(configFile, {});
    const instance = loaded.instances[0]!;
    expect(instance).toMatchObject({
      name: 'Emulated tenant',
      tenantId: info.tenantId,
      clientId: info.clientId,
      endpoints: {
        authority: info.url,
        graph: `${info.url}/graph`,
        defender: `${info.url}/defender`,
      },
      caFile: info.caFile,
      quotaScale: 50,
    });
    expect(instance.clientSecret).toMatch(/.{20,}/);
    expect(JSON.stringify(info)).not.toContain(instance.clientSecret);
    expect(statSync(configFile).mode & 0o077).toBe(0);

    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
  });

  it('prints a summary of what it serves without the secret', async () => {
    const configFile = join(dir, 'summary.yaml');
    const run = runCli([
      '--data-dir',
      join(dir, 'data'),
      '--write-config',
      configFile,
      '--users',
      '5',
    ]);
    const output = await run.waitFor((line) => line.startsWith('Press Ctrl+C'));
    const text = output.join('\n');
    expect(text).toMatch(/^defender-graph emulator listening on https:\/\/127\.0\.0\.1:\d+$/m);
    expect(text).toContain('/graph/v1.0');
    expect(text).toContain('/defender/api');
    expect(text).toContain(`--config ${configFile}`);
    const secret = readFileSync(configFile, 'utf8').match(/clientSecret: (\S+)/)![1]!;
    expect(text).not.toContain(secret);
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(0);
  });

  it('exits 1 naming the port when it is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as AddressInfo;
    try {
      const run = runCli(['--port', String(port), '--data-dir', join(dir, 'data')]);
      expect(await run.exit).toBe(1);
      expect(run.stderr()).toContain(`cannot listen on 127.0.0.1:${port}: the port is in use`);
    } finally {
      blocker.close();
    }
  });

  it('exits 2 naming the flag for a bad value', async () => {
    const run = runCli(['--machines', 'lots', '--data-dir', join(dir, 'data')]);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toContain('--machines');
  });
});
