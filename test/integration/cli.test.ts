import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('validate and collect commands against the emulator', () => {
  let te: TestEmulator;
  let dir: string;
  let configFile: string;
  const env = () => ({ DG_SECRET: te.config.clientSecret! });

  beforeAll(async () => {
    te = await startTestEmulator({ seed: 9 });
    dir = mkdtempSync(join(tmpdir(), 'dg-cli-'));
    configFile = join(dir, 'defender-graph.yaml');
    // The secret stays out of the file: it comes from ${DG_SECRET}.
    const instance = { ...te.config, clientSecret: '${DG_SECRET}' };
    writeFileSync(
      configFile,
      stringify({
        instances: [{ ...instance, name: 'Emulated', quotaScale: 1000 }],
      }),
    );
  });
  afterAll(async () => te?.close());

  it('validate: every permission granted, exit 0', async () => {
    const { code, stdout } = await cli(['validate', '--config', configFile], env());
    expect(code).toBe(0);
    expect(stdout).toContain('Defender token: ok');
    expect(stdout).toMatch(/Vulnerability\.Read\.All\s+│ WindowsDefenderATP\s+│ yes/);
    expect(stdout).toContain(
      "Logon users: per machine (AdvancedQuery.Read.All is not in the Defender token's roles)",
    );
    expect(stdout).toMatch(/per-machine\s+│ \d+\s+│ 0 min\s+│ yes/);
    expect(stdout).not.toContain(te.config.clientSecret!);
  });

  it('collect: writes the J1 on-disk layout and a summary, exit 0', async () => {
    const output = join(dir, 'out');
    const { code, stdout } = await cli(
      ['collect', '--config', configFile, '--output', output, '--json'],
      env(),
    );
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { stepResults: { status: string }[] };
    expect(result.stepResults.every((r) => r.status === 'success')).toBe(true);
    const summaryText = readFileSync(join(output, 'summary.json'), 'utf8');
    const summary = JSON.parse(summaryText) as {
      integrationStepResults: unknown[];
      metadata: { partialDatasets: { types: string[] } };
    };
    expect(summary.integrationStepResults).toHaveLength(7);
    expect(summary.metadata.partialDatasets.types).toEqual([]);
    expect(summaryText).not.toContain(te.config.clientSecret!);
    const machineIndex = join(output, 'index/entities/microsoft_defender_machine');
    const [file] = readdirSync(machineIndex);
    const { entities } = JSON.parse(readFileSync(join(machineIndex, file!), 'utf8')) as {
      entities: { _type: string }[];
    };
    const truth = await te.truth({ lists: false });
    expect(entities).toHaveLength(truth.counts.machines);
    expect(entities.every((e) => e._type === 'microsoft_defender_machine')).toBe(true);
    expect(existsSync(join(output, 'graph/fetch-machines/entities'))).toBe(true);
  });

  it('revoked permission: validate exits 4 naming it; collect exits 3 saying what to grant', async () => {
    await te.setFaults({ revokePermissions: ['Vulnerability.Read.All'] });
    try {
      const validate = await cli(['validate', '--config', configFile], env());
      expect(validate.code).toBe(4);
      expect(validate.stdout).toMatch(/Vulnerability\.Read\.All\s+│ WindowsDefenderATP\s+│ NO/);
      expect(validate.stdout).toContain('microsoft_defender_vulnerability');

      const collect = await cli(
        ['collect', '--config', configFile, '--output', join(dir, 'partial')],
        env(),
      );
      expect(collect.code).toBe(3);
      expect(collect.stdout).toMatch(/fetch-vulnerabilities\s+│ failure/);
      expect(collect.stdout).toContain(
        'Partial types (kept, not deleted): microsoft_defender_machine_identified_vulnerability',
      );
      expect(collect.stdout).toContain(
        'Grant these application permissions (with admin consent): WindowsDefenderATP Vulnerability.Read.All',
      );
    } finally {
      await te.clearFaults();
    }
  });

  it('a wrong secret: validate exits 1 with the AADSTS reason, collect exits 1', async () => {
    const validate = await cli(['validate', '--config', configFile], { DG_SECRET: 'wrong' });
    expect(validate.code).toBe(1);
    expect(validate.stdout).toContain('AADSTS7000215: the client secret is wrong');
    const collect = await cli(['collect', '--config', configFile, '--output', join(dir, 'none')], {
      DG_SECRET: 'wrong',
    });
    expect(collect.code).toBe(1);
  });

  it('configuration errors exit 2 naming the file, line, instance and field', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'instances:\n  - name: X\n    tenantId: t\n    clientId: c\n    clientSecret: s\n    disabledSources: [printers]\n',
    );
    const { code, stderr } = await cli(['collect', '--config', bad, '--output', join(dir, 'x')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/bad\.yaml:6: instances\[0\] \(X\)\.disabledSources\[0\]: /);
  });
});
