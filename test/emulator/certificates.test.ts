import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApplicationRegistry } from '../../src/emulator/applications.js';
import { ensureCertificates } from '../../src/emulator/certificates.js';

const dir = mkdtempSync(join(tmpdir(), 'dg-certs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('emulator key material', () => {
  it('issues a CA, a server certificate for 127.0.0.1 and localhost, and a client certificate it signed', () => {
    const certs = ensureCertificates(dir);
    const ca = new X509Certificate(certs.caPem);
    const server = new X509Certificate(certs.serverCertPem);
    const client = new X509Certificate(certs.clientCertPem);
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.subjectAltName).toBe('IP Address:127.0.0.1, DNS:localhost');
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(client.verify(ca.publicKey)).toBe(true);
    expect(server.checkPrivateKey(createPrivateKey(certs.serverKeyPem))).toBe(true);
    // The client file carries certificate and key, as ClientCertificateCredential reads it.
    const clientFile = readFileSync(certs.clientCertificateFile, 'utf8');
    expect(clientFile).toContain('BEGIN CERTIFICATE');
    expect(clientFile).toContain('PRIVATE KEY');
  });

  it('reuses what is in the data directory on the next start, secrets included', () => {
    const first = ensureCertificates(dir);
    const second = ensureCertificates(dir);
    expect(second).toEqual(first);
    const apps = createApplicationRegistry(3, dir, first.clientCertPem);
    const again = createApplicationRegistry(3, dir, first.clientCertPem);
    expect(again.main.secret).toBe(apps.main.secret);
    expect(again.main.clientId).toBe(apps.main.clientId);
    expect(createApplicationRegistry(4, dir, first.clientCertPem).main.clientId).not.toBe(
      apps.main.clientId,
    );
  });
});
