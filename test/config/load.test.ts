import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { instanceSchema } from '../../src/config/instance-config.js';
import {
  ConfigError,
  loadConfig,
  redactInstance,
  resolveEndpoints,
  selectInstance,
} from '../../src/config/load.js';

function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dg-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const valid = `instances:
  - name: Contoso
    tenantId: 11111111-2222-3333-4444-555555555555
    clientId: app-id
    clientSecret: \${DG_TEST_SECRET}
    caFile: certs/ca.pem
    cloud: usgov-gcchigh
    disabledSources: [logon_users]
`;

describe('config loading', () => {
  it('reads YAML, substitutes ${ENV} secrets and resolves caFile against the file folder', () => {
    const dir = configDir({ 'defender-graph.yaml': valid });
    mkdirSync(join(dir, 'certs'));
    writeFileSync(join(dir, 'certs/ca.pem'), 'CA');
    const config = loadConfig({ cwd: dir, env: { DG_TEST_SECRET: 's3cret' } });
    const instance = selectInstance(config);
    expect(config.file).toBe(join(dir, 'defender-graph.yaml'));
    expect(instance.clientSecret).toBe('s3cret');
    expect(instance.caFile).toBe(join(dir, 'certs/ca.pem'));
    expect(instance.pollingInterval).toBe('ONE_DAY');
    expect(instance.disabledSources).toEqual(['logon_users']);
    expect(JSON.stringify(redactInstance(instance))).not.toContain('s3cret');
  });

  it('reads JSON through --config', () => {
    const dir = configDir({
      'cert.pem': 'CERT',
      'c.json': JSON.stringify({
        instances: [
          { name: 'A', tenantId: 'contoso.com', clientId: 'x', certificatePath: 'cert.pem' },
        ],
      }),
    });
    const instance = selectInstance(loadConfig({ cwd: dir, file: 'c.json', env: {} }));
    expect(instance.certificatePath).toBe(join(dir, 'cert.pem'));
  });

  it('names file, line, instance and field in validation errors', () => {
    const dir = configDir({
      'defender-graph.yaml': `instances:
  - name: Contoso
    tenantId: "not a tenant!"
    clientId: app
    clientSecret: x
    pollingInterval: HOURLY
`,
    });
    let message = '';
    try {
      loadConfig({ cwd: dir, env: {} });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain(
      'defender-graph.yaml:3: instances[0] (Contoso).tenantId: must be a tenant GUID or domain name',
    );
    expect(message).toMatch(
      /defender-graph\.yaml:6: instances\[0\] \(Contoso\)\.pollingInterval: /,
    );
  });

  it('names a CA or certificate file that does not exist, with its line', () => {
    const dir = configDir({ 'defender-graph.yaml': valid });
    expect(() => loadConfig({ cwd: dir, env: { DG_TEST_SECRET: 'x' } })).toThrow(
      `defender-graph.yaml:6: instances[0] (Contoso).caFile: file not found: ${join(dir, 'certs/ca.pem')}`,
    );
  });

  it('names a missing secret variable and an unknown field', () => {
    const dir = configDir({ 'defender-graph.yaml': valid });
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(
      /instances\[0\] \(Contoso\)\.clientSecret: environment variable DG_TEST_SECRET is not set/,
    );
    const typo = configDir({ 'defender-graph.yaml': valid.replace('cloud:', 'clowd:') });
    expect(() => loadConfig({ cwd: typo, env: { DG_TEST_SECRET: 'x' } })).toThrow(
      /:7: instances\[0\] \(Contoso\): .*"clowd"/,
    );
  });

  it('reports YAML syntax errors with a line', () => {
    const dir = configDir({ 'defender-graph.yaml': 'instances:\n  - name: [unclosed\n' });
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(
      /defender-graph\.yaml:\d+: not valid YAML/,
    );
  });

  it('falls back to AZURE_* variables, and says which are missing', () => {
    const dir = configDir({});
    const env = {
      AZURE_TENANT_ID: 'contoso.com',
      AZURE_CLIENT_ID: 'app',
      AZURE_CLIENT_SECRET: 'x',
    };
    const instance = selectInstance(loadConfig({ cwd: dir, env }));
    expect(instance).toMatchObject({
      name: 'contoso.com',
      tenantId: 'contoso.com',
      clientId: 'app',
    });
    expect(() => loadConfig({ cwd: dir, env: { AZURE_TENANT_ID: 't' } })).toThrow(
      /AZURE_CLIENT_ID, AZURE_CLIENT_SECRET not set/,
    );
  });

  it('needs --instance when several are configured, and names unknown ones', () => {
    const two = `instances:
  - {name: A, tenantId: a.com, clientId: x, clientSecret: y}
  - {name: B, tenantId: b.com, clientId: x, clientSecret: y}
`;
    const config = loadConfig({ cwd: configDir({ 'defender-graph.yaml': two }), env: {} });
    expect(() => selectInstance(config)).toThrow(/choose one with --instance \(A, B\)/);
    expect(selectInstance(config, 'B').tenantId).toBe('b.com');
    expect(() => selectInstance(config, 'C')).toThrow(/no instance named "C"/);
    const dup = two.replace('name: B', 'name: A');
    expect(() => loadConfig({ cwd: configDir({ 'defender-graph.yaml': dup }), env: {} })).toThrow(
      /instances\[1\] \(A\)\.name: duplicate/,
    );
  });

  it('resolves endpoints from cloud, region and overrides', () => {
    const base = instanceSchema.parse({
      name: 'x',
      tenantId: 't',
      clientId: 'c',
      clientSecret: 's',
    });
    const gov = resolveEndpoints({ ...base, cloud: 'usgov-gcchigh', endpoints: {} });
    expect(gov).toMatchObject({
      authority: 'https://login.microsoftonline.us',
      graph: 'https://graph.microsoft.us',
      defender: 'https://api-gov.securitycenter.microsoft.us',
      defenderScope: 'https://api-gov.securitycenter.microsoft.us/.default',
      customAuthority: false,
    });
    const regional = resolveEndpoints({
      ...base,
      cloud: 'public',
      defenderRegion: 'eu',
      endpoints: {},
    });
    expect(regional.defender).toBe('https://eu.api.security.microsoft.com');
    expect(regional.defenderScope).toBe('https://api.securitycenter.microsoft.com/.default');
    const emulator = resolveEndpoints({
      ...base,
      cloud: 'public',
      endpoints: {
        authority: 'https://127.0.0.1:9/',
        graph: 'https://127.0.0.1:9/graph',
        defender: 'https://127.0.0.1:9/defender',
      },
    });
    expect(emulator).toMatchObject({
      authority: 'https://127.0.0.1:9',
      graph: 'https://127.0.0.1:9/graph',
      customAuthority: true,
    });
  });
});
