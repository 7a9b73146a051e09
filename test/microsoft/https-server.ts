import { generateKeyPairSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import forge from 'node-forge';
import { CallCounter } from '../../src/microsoft/call-counter.js';
import { ApiClient, createDispatcher } from '../../src/microsoft/http.js';
import { Pacer } from '../../src/microsoft/pacing.js';

/** A private CA and a 127.0.0.1 server certificate it signed: real TLS, trusted explicitly. */
function makeCertificates(): { ca: string; key: string; cert: string } {
  const keyPair = () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const priv = forge.pki.privateKeyFromPem(pem);
    return { pem, priv, pub: forge.pki.setRsaPublicKey(priv.n, priv.e) };
  };
  const build = (
    serial: string,
    subject: string,
    pub: forge.pki.rsa.PublicKey,
    signer: forge.pki.rsa.PrivateKey,
    issuer: string,
    extensions: object[],
  ) => {
    const cert = forge.pki.createCertificate();
    cert.serialNumber = serial;
    cert.publicKey = pub;
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + 86_400_000);
    cert.setSubject([{ name: 'commonName', value: subject }]);
    cert.setIssuer([{ name: 'commonName', value: issuer }]);
    cert.setExtensions(extensions);
    cert.sign(signer, forge.md.sha256.create());
    return forge.pki.certificateToPem(cert);
  };
  const caKeys = keyPair();
  const serverKeys = keyPair();
  const ca = build('01', 'test CA', caKeys.pub, caKeys.priv, 'test CA', [
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true },
  ]);
  const cert = build('02', '127.0.0.1', serverKeys.pub, caKeys.priv, 'test CA', [
    { name: 'basicConstraints', cA: false },
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
  ]);
  return { ca, key: serverKeys.pem, cert };
}

export interface RecordedRequest {
  url: string;
  authorization?: string;
  at: number;
}

export interface TestServer {
  url: string;
  ca: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Starts an HTTPS server on 127.0.0.1:0 that records requests and answers with `handle`. */
export async function startHttpsServer(
  handle: (req: IncomingMessage, res: ServerResponse, index: number) => void,
): Promise<TestServer> {
  const { ca, key, cert } = makeCertificates();
  const requests: RecordedRequest[] = [];
  const server = createServer({ key, cert }, (req, res) => {
    requests.push({ url: req.url ?? '', authorization: req.headers.authorization, at: Date.now() });
    handle(req, res, requests.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    ca,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The real HTTP policy pointed at a test server: a fixed token, no pacing, retries without sleeping. */
export function localApiClient(
  server: TestServer,
  api: 'graph' | 'defender',
  retry: { maxRetries?: number } = {},
): ApiClient {
  return new ApiClient({
    api,
    base: server.url,
    tokens: { getToken: async () => 't', invalidate: () => undefined },
    pacer: new Pacer({}),
    counter: new CallCounter(),
    dispatcher: createDispatcher(server.ca),
    retry,
    sleep: async () => undefined,
  });
}
