import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

/**
 * The emulator's key material, generated on first start and kept in the data directory so that
 * clients configured with the CA file keep working across restarts.
 */
export interface EmulatorCertificates {
  caFile: string;
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  /** Certificate + private key PEM registered for the app: what ClientCertificateCredential reads. */
  clientCertificateFile: string;
  clientCertPem: string;
  /** RSA key that signs access tokens; its public half is served as the JWKS. */
  tokenSigningKeyPem: string;
}

const FILES = {
  ca: 'ca.pem',
  caKey: 'ca-key.pem',
  server: 'server.pem',
  serverKey: 'server-key.pem',
  client: 'client-certificate.pem',
  tokenKey: 'token-signing-key.pem',
} as const;

const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

/** Node's native RSA generation: node-forge's pure-JS generator takes seconds per key. */
function newRsaKeyPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
}

function randomSerial(): string {
  return `01${forge.util.bytesToHex(forge.random.getBytesSync(15))}`;
}

interface IssueOptions {
  subjectCn: string;
  keyPem: string;
  issuer?: { cert: forge.pki.Certificate; keyPem: string };
  extensions: object[];
}

function issueCertificate(options: IssueOptions): forge.pki.Certificate {
  const key = forge.pki.privateKeyFromPem(options.keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = randomSerial();
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(now + TEN_YEARS_MS);
  const subject = [{ name: 'commonName', value: options.subjectCn }];
  cert.setSubject(subject);
  cert.setIssuer(options.issuer ? options.issuer.cert.subject.attributes : subject);
  cert.setExtensions(options.extensions);
  const signingKey = forge.pki.privateKeyFromPem(options.issuer?.keyPem ?? options.keyPem);
  cert.sign(signingKey, forge.md.sha256.create());
  return cert;
}

function generate(dir: string): void {
  const caKeyPem = newRsaKeyPem();
  const ca = issueCertificate({
    subjectCn: 'defender-graph emulator CA',
    keyPem: caKeyPem,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ],
  });
  const issuer = { cert: ca, keyPem: caKeyPem };
  const serverKeyPem = newRsaKeyPem();
  const server = issueCertificate({
    subjectCn: 'localhost',
    keyPem: serverKeyPem,
    issuer,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  const clientKeyPem = newRsaKeyPem();
  const client = issueCertificate({
    subjectCn: 'defender-graph emulated app',
    keyPem: clientKeyPem,
    issuer,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
  const write = (name: string, pem: string, mode = 0o644) =>
    writeFileSync(join(dir, name), pem, { mode });
  write(FILES.ca, forge.pki.certificateToPem(ca));
  write(FILES.caKey, caKeyPem, 0o600);
  write(FILES.server, forge.pki.certificateToPem(server));
  write(FILES.serverKey, serverKeyPem, 0o600);
  write(FILES.client, `${forge.pki.certificateToPem(client)}${clientKeyPem}`, 0o600);
  write(FILES.tokenKey, newRsaKeyPem(), 0o600);
}

/** Loads the key material from `dataDir`, generating any of it that is missing. */
export function ensureCertificates(dataDir: string): EmulatorCertificates {
  mkdirSync(dataDir, { recursive: true });
  if (Object.values(FILES).some((f) => !existsSync(join(dataDir, f)))) generate(dataDir);
  const read = (name: string) => readFileSync(join(dataDir, name), 'utf8');
  const clientPem = read(FILES.client);
  return {
    caFile: join(dataDir, FILES.ca),
    caPem: read(FILES.ca),
    serverCertPem: read(FILES.server),
    serverKeyPem: read(FILES.serverKey),
    clientCertificateFile: join(dataDir, FILES.client),
    clientCertPem: new X509Certificate(clientPem).toString(),
    tokenSigningKeyPem: read(FILES.tokenKey),
  };
}
