import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceConfig } from '../../src/config/instance-config.js';
import {
  ConfigError,
  loadConfig,
  loadConfigFile,
  resolveEndpoints,
} from '../../src/config/load.js';
import { TokenProvider } from '../../src/microsoft/tokens.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { runCli, writeConfig } from '../sync/cli.js';

/** Token requests the emulator answered 200, by credential kind seen in the form. */
async function issuedTokens(te: TestEmulator): Promise<number> {
  const { requests } = await te.stats();
  const route = Object.keys(requests).find((r) => r.includes('oauth2/v2.0/token'));
  return route ? (requests[route]!['200'] ?? 0) : 0;
}

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g;

describe('the Azure SDK environment variables and Azure-provided identities (emulator)', () => {
  let te: TestEmulator;
  let dir: string;
  let authority: string;
  beforeAll(async () => {
    te = await startTestEmulator({ seed: 33 });
    dir = mkdtempSync(join(tmpdir(), 'dg-credentials-'));
    authority = te.config.endpoints.authority!;
  });
  afterAll(async () => {
    await te?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The emulator's hosts and CA, with the login host and credential left to the case. */
  const emulatorInstance = (credential: Partial<InstanceConfig>): InstanceConfig => ({
    ...te.config,
    clientSecret: undefined,
    endpoints: { graph: te.config.endpoints.graph, defender: te.config.endpoints.defender },
    ...credential,
  });

  it('AZURE_CLIENT_CERTIFICATE_PATH with AZURE_CLIENT_CERTIFICATE_PASSWORD: an encrypted key signs the assertion', async () => {
    const pem = readFileSync(te.emulator.clientCertificateFile, 'utf8');
    const blocks = [...pem.matchAll(PEM_BLOCK)].map((m) => m[0]);
    const certificate = blocks.find((b) => b.includes('CERTIFICATE'))!;
    const key = blocks.find((b) => b.includes('PRIVATE KEY'))!;
    const encrypted = createPrivateKey(key).export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'correct horse',
    });
    const path = join(dir, 'client-encrypted.pem');
    writeFileSync(path, `${certificate}\n${String(encrypted)}`);
    const loaded = loadConfig({
      cwd: dir,
      env: {
        AZURE_TENANT_ID: te.config.tenantId,
        AZURE_CLIENT_ID: te.config.clientId,
        AZURE_CLIENT_CERTIFICATE_PATH: 'client-encrypted.pem',
        AZURE_CLIENT_CERTIFICATE_PASSWORD: 'correct horse',
        AZURE_AUTHORITY_HOST: authority,
      },
    });
    const [fromEnv] = loaded.instances;
    expect(fromEnv).toMatchObject({
      certificatePath: path,
      certificatePassword: 'correct horse',
      endpoints: { authority },
    });
    expect(fromEnv!.clientSecret).toBeUndefined();
    const instance = { ...fromEnv!, endpoints: { ...te.config.endpoints } };
    const endpoints = resolveEndpoints(instance);
    await te.resetStats();
    const token = await new TokenProvider(
      instance,
      endpoints,
      endpoints.graphScope,
      te.dispatcher,
    ).getToken();
    expect(token.split('.')).toHaveLength(3);
    expect(await issuedTokens(te)).toBe(1);
  });

  it('names the variable at fault in the environment', () => {
    const env = { AZURE_TENANT_ID: te.config.tenantId, AZURE_CLIENT_ID: te.config.clientId };
    expect(() =>
      loadConfig({ cwd: dir, env: { ...env, AZURE_CLIENT_CERTIFICATE_PATH: 'absent.pem' } }),
    ).toThrow(
      new ConfigError(
        `environment AZURE_CLIENT_CERTIFICATE_PATH: file not found: ${join(dir, 'absent.pem')}`,
      ),
    );
    expect(() =>
      loadConfig({
        cwd: dir,
        env: { ...env, AZURE_CLIENT_SECRET: 's', AZURE_AUTHORITY_HOST: 'http://login.test' },
      }),
    ).toThrow(
      new ConfigError(
        'environment AZURE_AUTHORITY_HOST: must be an https:// URL (TLS is never disabled) (got http://login.test)',
      ),
    );
    expect(
      loadConfig({ cwd: dir, env: { ...env, AZURE_FEDERATED_TOKEN_FILE: '/var/run/token' } })
        .instances[0],
    ).toMatchObject({ credential: 'workloadIdentity', clientId: te.config.clientId });
  });

  it('a config naming an Azure identity and a secret too is refused, naming the field', () => {
    const file = join(dir, 'both.yaml');
    writeFileSync(
      file,
      `instances:\n  - name: Contoso\n    tenantId: ${te.config.tenantId}\n    credential: managedIdentity\n    clientSecret: s\n`,
    );
    expect(() => loadConfigFile(file, {})).toThrow(
      new ConfigError(
        `${file}:4: instances[0] (Contoso).credential: credential: managedIdentity or workloadIdentity takes no clientSecret or certificatePath`,
      ),
    );
  });

  it('AZURE_AUTHORITY_HOST is the login host of a config that names none (CLI validate)', async () => {
    const config = writeConfig(dir, emulatorInstance({ clientSecret: te.config.clientSecret }));
    // The file names no login host: only the variable leads to the emulator.
    const result = await runCli(['validate', '--config', config], {
      AZURE_AUTHORITY_HOST: authority,
    });
    expect(result.stdout).toContain('Microsoft Graph token: ok');
    expect(result.stdout).toContain('Defender token: ok');
    expect(result.code).toBe(0);
  });

  it('credential: managedIdentity gets its tokens from the platform endpoint (App Service style)', async () => {
    const calls: string[] = [];
    // The platform's identity endpoint: it answers with a token Entra (the emulator) issued.
    const platform: Server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const resource = url.searchParams.get('resource') ?? '';
      calls.push(`${req.headers['x-identity-header']} ${resource}`);
      void request(`${authority}/${te.config.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        dispatcher: te.dispatcher,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: te.config.clientId!,
          client_secret: te.config.clientSecret!,
          scope: `${resource}/.default`,
        }).toString(),
      })
        .then(
          (answer) => answer.body.json() as Promise<{ access_token: string; expires_in: number }>,
        )
        .then(({ access_token, expires_in }) => {
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              access_token,
              expires_on: String(Math.floor(Date.now() / 1000) + expires_in),
              resource,
              token_type: 'Bearer',
            }),
          );
        });
    });
    await new Promise<void>((resolve) => platform.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = platform.address() as AddressInfo;
      const config = writeConfig(
        dir,
        emulatorInstance({ credential: 'managedIdentity', clientId: undefined }),
      );
      const result = await runCli(['validate', '--config', config], {
        IDENTITY_ENDPOINT: `http://127.0.0.1:${port}/msi/token`,
        IDENTITY_HEADER: 'platform-secret',
        AZURE_AUTHORITY_HOST: authority,
      });
      expect(result.stdout).toContain('Microsoft Graph token: ok');
      expect(result.stdout).toContain('Defender token: ok');
      expect(result.code).toBe(0);
      expect(calls.sort()).toEqual([
        'platform-secret https://api.securitycenter.microsoft.com',
        'platform-secret https://graph.microsoft.com',
      ]);
    } finally {
      await new Promise((resolve) => platform.close(resolve));
    }
  });

  it('credential: workloadIdentity sends the federated token file as the client assertion', async () => {
    const pem = readFileSync(te.emulator.clientCertificateFile, 'utf8');
    const key = createPrivateKey(
      [...pem.matchAll(PEM_BLOCK)].find((m) => m[1]!.includes('PRIVATE KEY'))![0],
    );
    // Kubernetes would sign this for the pod's service account; the emulator trusts the app's key.
    const federated = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(te.config.clientId!)
      .setSubject(te.config.clientId!)
      .setAudience(`${authority}/${te.config.tenantId}/oauth2/v2.0/token`)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(key);
    const tokenFile = join(dir, 'federated-token');
    writeFileSync(tokenFile, federated);
    const config = writeConfig(
      dir,
      emulatorInstance({ credential: 'workloadIdentity', clientId: te.config.clientId }),
    );
    await te.resetStats();
    const result = await runCli(['validate', '--config', config], {
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      AZURE_AUTHORITY_HOST: authority,
    });
    expect(result.stdout).toContain('Microsoft Graph token: ok');
    expect(result.stdout).toContain('Defender token: ok');
    expect(result.code).toBe(0);
    expect(await issuedTokens(te)).toBe(2);
  });
});
