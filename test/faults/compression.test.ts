import {
  deflateRawSync,
  deflateSync,
  gunzipSync,
  gzipSync,
  inflateRawSync,
  inflateSync,
} from 'node:zlib';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DefenderClient } from '../../src/microsoft/defender-client.js';
import { GraphClient } from '../../src/microsoft/graph-client.js';
import { DEFENDER_SCOPE, GRAPH_SCOPE, tokenFor } from '../emulator/http-client.js';
import { localApiClient, startHttpsServer, type TestServer } from '../microsoft/https-server.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

describe('the emulator compresses as Microsoft does, when the client asks', () => {
  let te: TestEmulator;
  beforeAll(async () => {
    te = await startTestEmulator({ seed: 30 });
  });
  afterAll(async () => te?.close());

  const get = async (path: string, scope: string, acceptEncoding?: string) => {
    const res = await request(`${te.emulator.url}${path}`, {
      dispatcher: te.dispatcher,
      headers: {
        authorization: `Bearer ${await tokenFor(te, scope)}`,
        ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}),
      },
    });
    return { headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
  };

  it('Graph: gzip', async () => {
    const { headers, body } = await get('/graph/v1.0/users?$top=5', GRAPH_SCOPE, 'gzip, deflate');
    expect([headers['content-encoding'], headers.vary]).toEqual(['gzip', 'Accept-Encoding']);
    expect(JSON.parse(gunzipSync(body).toString()).value).toHaveLength(5);
  });

  it('Defender: raw deflate, without the zlib header', async () => {
    const { headers, body } = await get(
      '/defender/api/machines?$top=3',
      DEFENDER_SCOPE,
      'gzip, deflate',
    );
    expect(headers['content-encoding']).toBe('deflate');
    expect(JSON.parse(inflateRawSync(body).toString()).value).toHaveLength(3);
    expect(() => inflateSync(body)).toThrow();
  });

  it('nothing is compressed for a client that does not ask', async () => {
    const { headers, body } = await get('/defender/api/machines?$top=3', DEFENDER_SCOPE);
    expect(headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(body.toString()).value).toHaveLength(3);
  });
});

describe('the collector asks for compression and reads every form of it', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const ENCODERS: Record<string, (b: Buffer) => Buffer> = {
    gzip: gzipSync,
    'raw deflate': deflateRawSync,
    'zlib deflate': deflateSync,
  };

  it.each(Object.keys(ENCODERS))('%s', async (form) => {
    const acceptEncodings: (string | undefined)[] = [];
    server = await startHttpsServer((req, res) => {
      acceptEncodings.push(req.headers['accept-encoding']);
      const body = Buffer.from(JSON.stringify({ value: [{ id: 'm1' }, { id: 'm2' }] }));
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-encoding': form === 'gzip' ? 'gzip' : 'deflate',
      });
      res.end(ENCODERS[form]!(body));
    });
    const http = localApiClient(server, 'defender');
    const ids: string[] = [];
    for await (const page of new DefenderClient(http, server.url).machines())
      ids.push(...page.map((m) => m.id));
    expect(ids).toEqual(['m1', 'm2']);
    expect(acceptEncodings).toEqual(['gzip, deflate']);
  });

  it('a compressed body cut off mid-stream is a TRUNCATED failure, not an empty page', async () => {
    server = await startHttpsServer((_req, res) => {
      const full = gzipSync(Buffer.from(JSON.stringify({ value: [{ id: 'u1' }] })));
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(full.subarray(0, full.length - 8));
    });
    const http = localApiClient(server, 'graph', { maxRetries: 1 });
    const error = await new GraphClient(http, server.url).organization().catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'TRUNCATED',
      message:
        'graph GET /organization: malformed response, cannot gzip-decode the body (unexpected end of file)',
    });
    expect(server.requests).toHaveLength(2);
  });
});
