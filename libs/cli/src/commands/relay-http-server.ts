import { createServer, type Server } from 'node:http';
import { RelayMetrics, relayHealth, type Relay } from '@lockstep/relay';

/**
 * The relay process's two endpoints, on plain node:http (the process needs no web framework):
 * GET /health — 200 when leader and publishing, or a healthy standby; 503 otherwise.
 * GET /metrics — Prometheus text.
 */
export async function startRelayHttpServer(relay: Relay, port: number): Promise<Server> {
  const metrics = new RelayMetrics(relay);
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') {
      const health = relayHealth(relay);
      res.writeHead(health.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(health));
    } else if (req.method === 'GET' && req.url === '/metrics') {
      metrics.metrics().then(
        (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
        (error: unknown) => res.writeHead(500).end((error as Error).message),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve());
  });
  return server;
}
