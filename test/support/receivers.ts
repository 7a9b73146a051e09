import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import type { MonitoringConfig } from '../../src/config/instance-config.js';
import { ensureCertificates } from '../../src/emulator/certificates.js';

/** The emulator's CA and 127.0.0.1 server certificate, reused for every receiver of a test process. */
let certificates: ReturnType<typeof ensureCertificates> | undefined;
function testCertificates(): ReturnType<typeof ensureCertificates> {
  if (!certificates) {
    const dir = mkdtempSync(join(tmpdir(), 'dg-receivers-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    certificates = ensureCertificates(dir);
  }
  return certificates;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status the receiver answered with; 0 for a request it held open (never answered). */
  status: number;
}

export interface HttpsReceiver {
  url: string;
  /** The CA file that signed the receiver's certificate (trust it explicitly). */
  caFile: string;
  requests: ReceivedRequest[];
  /** Status to answer the next requests with (200 by default). */
  answer(status: number): void;
  /** Requests `which` matches are recorded and never answered (the sender waits); undefined stops. */
  hold(which: ((request: Omit<ReceivedRequest, 'status'>) => boolean) | undefined): void;
  /** Resolves with the first recorded request `which` matches, now or when it arrives. */
  waitFor(which: (request: ReceivedRequest) => boolean): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

/** A local HTTPS endpoint on 127.0.0.1 that records every request; `check` may veto a body with 400. */
export async function startHttpsReceiver(
  check: (request: Omit<ReceivedRequest, 'status'>) => string | undefined = () => undefined,
): Promise<HttpsReceiver> {
  const certs = testCertificates();
  const requests: ReceivedRequest[] = [];
  let status = 200;
  let holding: ((request: Omit<ReceivedRequest, 'status'>) => boolean) | undefined;
  const waiters: {
    which: (request: ReceivedRequest) => boolean;
    resolve: (r: ReceivedRequest) => void;
  }[] = [];
  const record = (request: ReceivedRequest) => {
    requests.push(request);
    for (const waiter of waiters.filter((w) => w.which(request))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(request);
    }
  };
  const server = createServer(
    { key: certs.serverKeyPem, cert: certs.serverCertPem },
    (req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const received = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body,
        };
        if (holding?.(received)) return record({ ...received, status: 0 });
        const problem = status === 200 ? check(received) : undefined;
        const answered = problem ? 400 : status;
        record({ ...received, status: answered });
        res.writeHead(answered, { 'content-type': 'text/plain' });
        res.end(problem ?? 'ok');
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caFile: certs.caFile,
    requests,
    answer: (next) => void (status = next),
    hold: (which) => void (holding = which),
    waitFor: (which) =>
      new Promise((resolve) => {
        const seen = requests.find(which);
        if (seen) resolve(seen);
        else waiters.push({ which, resolve });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

export interface SmtpReceiver {
  port: number;
  /** `monitoring.email` pointing at this server, with its CA trusted and these credentials. */
  emailConfig(): NonNullable<MonitoringConfig['email']>;
  caFile: string;
  mails: ReceivedMail[];
  /** Refuse the next messages with this SMTP code (e.g. 451), or accept again (undefined). */
  refuse(code: number | undefined): void;
  close(): Promise<void>;
}

/** A real SMTP server (smtp-server) on 127.0.0.1 with STARTTLS and AUTH PLAIN/LOGIN. */
export async function startSmtpReceiver(credentials: {
  user: string;
  pass: string;
}): Promise<SmtpReceiver> {
  const certs = testCertificates();
  const mails: ReceivedMail[] = [];
  let refusal: number | undefined;
  const server = new SMTPServer({
    key: certs.serverKeyPem,
    cert: certs.serverCertPem,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === credentials.user && auth.password === credentials.pass)
        return callback(null, { user: auth.username });
      return callback(new Error('invalid credentials'));
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (d: Buffer) => (raw += d.toString()));
      stream.on('end', () => {
        if (refusal !== undefined) {
          const err = new Error('try again later') as Error & { responseCode: number };
          err.responseCode = refusal;
          return callback(err);
        }
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    emailConfig: () => ({
      host: '127.0.0.1',
      port,
      secure: false,
      user: credentials.user,
      password: credentials.pass,
      from: 'defender-graph@example.com',
      caFile: certs.caFile,
      dailyDigest: false,
      digestHour: 8,
    }),
    caFile: certs.caFile,
    mails,
    refuse: (code) => void (refusal = code),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A receiver check that accepts only requests signed as `notify/webhook.ts` documents it. */
export function verifySignature(secret: string) {
  return (request: Omit<ReceivedRequest, 'status'>): string | undefined => {
    const timestamp = String(request.headers['x-defender-graph-timestamp']);
    const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest('hex')}`;
    return request.headers['x-defender-graph-signature'] === expected ? undefined : 'bad signature';
  };
}
