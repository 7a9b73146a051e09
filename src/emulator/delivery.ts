import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { deflateRawSync, gzipSync } from 'node:zlib';
import type { ApiFamily } from './http.js';
import type { Delivery } from './faults/responses.js';

/**
 * Writes a reply on the wire. Compression as Microsoft sends it when the client asks: Graph gzip,
 * Defender raw deflate (no zlib header, defender-api.md §3.1). Faulty deliveries: a body cut off
 * after some bytes, a body that trickles, a body that stalls until the client gives up.
 */

const ENCODINGS: Partial<Record<ApiFamily, { name: string; encode: (b: Buffer) => Buffer }>> = {
  graph: { name: 'gzip', encode: (b) => gzipSync(b) },
  defender: { name: 'deflate', encode: (b) => deflateRawSync(b) },
};

function accepts(req: IncomingMessage, encoding: string): boolean {
  const header = String(req.headers['accept-encoding'] ?? '').toLowerCase();
  return header.split(',').some((part) => part.trim().split(';')[0] === encoding);
}

export async function deliver(
  req: IncomingMessage,
  res: ServerResponse,
  family: ApiFamily,
  delivery: Delivery,
): Promise<void> {
  const headers: Record<string, string> = { Date: new Date().toUTCString(), ...delivery.headers };
  let payload: Buffer = Buffer.from(delivery.body, 'utf8');
  const encoding = ENCODINGS[family];
  if (encoding && payload.length > 0) {
    headers.Vary = 'Accept-Encoding';
    if (accepts(req, encoding.name)) {
      payload = encoding.encode(payload);
      headers['Content-Encoding'] = encoding.name;
    }
  }
  headers['Content-Length'] = String(payload.length);
  res.writeHead(delivery.status, headers);
  const cut = delivery.cutAfterBytes ?? delivery.stallAfterBytes;
  if (cut !== undefined) {
    // A cut body ends with the connection; a stalled one waits for the client to give up.
    const cutOff = delivery.cutAfterBytes !== undefined;
    res.write(payload.subarray(0, Math.min(cut, payload.length)), () => {
      if (cutOff) res.socket?.destroy();
    });
    return;
  }
  if (delivery.trickle) {
    const { chunkBytes, intervalMs } = delivery.trickle;
    for (let offset = 0; offset < payload.length && !res.destroyed; offset += chunkBytes) {
      res.write(payload.subarray(offset, offset + chunkBytes));
      await sleep(intervalMs);
    }
    if (!res.destroyed) res.end();
    return;
  }
  res.end(payload);
}
