import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy a fault test puts between a client and a real server, to cut or freeze the
 * connections that pass through it (the server itself stays up).
 */
export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** Connections currently open through the proxy. */
  readonly openConnections: number;
  /**
   * Stops forwarding on every open connection without closing it: both ends see a silent,
   * healthy-looking socket (a stalled network path, a dead NAT entry). New connections pass.
   */
  freeze(): void;
  /** Destroys every open connection (both sides see a reset). New connections pass. */
  cut(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

function destroyAll(pairs: Set<Pair>): void {
  for (const { client, upstream } of pairs) {
    client.destroy();
    upstream.destroy();
  }
  pairs.clear();
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const frozen = new Set<Pair>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.host, port: target.port });
    const pair = { client, upstream };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = (): void => {
      pairs.delete(pair);
      frozen.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    host: '127.0.0.1',
    port,
    get openConnections() {
      return pairs.size;
    },
    freeze() {
      for (const pair of pairs) {
        const { client, upstream } = pair;
        frozen.add(pair);
        client.unpipe(upstream);
        upstream.unpipe(client);
        // Read and drop whatever arrives, so neither side sees back-pressure, only silence.
        client.on('data', () => undefined);
        upstream.on('data', () => undefined);
      }
      pairs.clear();
    },
    cut() {
      destroyAll(pairs);
    },
    async close() {
      destroyAll(pairs);
      destroyAll(frozen);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
