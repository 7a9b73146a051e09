import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface ConnectProxy {
  /** `http://127.0.0.1:PORT`, for HTTPS_PROXY. */
  url: string;
  /** The `host:port` of every CONNECT, in order. */
  connects: string[];
  /** The Proxy-Authorization header of every CONNECT that sent one. */
  authorizations: string[];
  /** Ends every open tunnel: the client's next request needs a new CONNECT. */
  dropTunnels(): void;
  close(): Promise<void>;
}

/**
 * A real HTTP CONNECT proxy (what corporate proxies speak for HTTPS): it sees the target host and
 * port of each tunnel, never the TLS inside it.
 */
export async function startConnectProxy(): Promise<ConnectProxy> {
  const connects: string[] = [];
  const authorizations: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => {
    res.writeHead(405).end('this proxy only tunnels (CONNECT)');
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    connects.push(target);
    const authorization = req.headers['proxy-authorization'];
    if (authorization !== undefined) authorizations.push(authorization);
    const { hostname, port } = new URL(`http://${target}`);
    const upstream = connect(Number(port), hostname, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const dropTunnels = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    connects,
    authorizations,
    dropTunnels,
    close: () => {
      dropTunnels();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
