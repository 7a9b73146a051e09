import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, selectInstance } from '../../src/config/load.js';

function load(http: string) {
  const dir = mkdtempSync(join(tmpdir(), 'dg-config-http-'));
  writeFileSync(
    join(dir, 'defender-graph.yaml'),
    `instances:
  - name: Contoso
    tenantId: contoso.onmicrosoft.com
    clientId: app
    clientSecret: x
    http:
${http}`,
  );
  return () => selectInstance(loadConfig({ cwd: dir, env: {} }));
}

describe('the http settings of an instance', () => {
  it('reads the timeout, the retries and what to do with an exhausted quota', () => {
    const instance = load(
      '      timeoutSeconds: 30\n      maxRetries: 3\n      quotaExhausted: stop\n',
    )();
    expect(instance.http).toEqual({ timeoutSeconds: 30, maxRetries: 3, quotaExhausted: 'stop' });
  });

  it('names the file, line and field of a wrong value', () => {
    expect(load('      quotaExhausted: sleep\n')).toThrow(
      /defender-graph\.yaml:7: instances\[0\] \(Contoso\)\.http\.quotaExhausted: /,
    );
    expect(load('      retries: 3\n')).toThrow(/http.*retries/);
  });
});
