import assert from 'node:assert/strict';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { CtLogCollector, type ScannedChunk } from '../../src/worker/collector.js';
import { RoutePool } from '../../src/share/ct/index.js';
import { startRealLeafLog } from '../helpers/real-leaf-log.js';

interface Proxy {
  url: string;
  connections: number;
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

/** A small HTTP proxy: CONNECT tunnels and absolute-URI forwarding. */
async function startHttpProxy(): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const p = { url: '', connections: 0, close: async () => {} };
  const server = createHttpServer((req, res) => {
    p.connections++;
    const target = new URL(req.url ?? '');
    const up = httpRequest({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  server.on('connect', (req, client: Socket, head) => {
    p.connections++;
    const [host, port] = (req.url ?? '').split(':');
    const up = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = await listen(server);
  p.url = `http://127.0.0.1:${port}`;
  p.close = closer(server, sockets);
  return p;
}

/** A small SOCKS5 server (no authentication, CONNECT to IPv4 or a domain name). */
async function startSocks5(): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const p = { url: '', connections: 0, close: async () => {} };
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    client.once('data', (hello) => {
      if (hello[0] !== 5) return client.destroy();
      client.write(Buffer.from([5, 0]));
      client.once('data', (req) => {
        if (req[0] !== 5 || req[1] !== 1) return client.destroy();
        let host: string;
        let at: number;
        if (req[3] === 1) {
          host = [...req.subarray(4, 8)].join('.');
          at = 8;
        } else if (req[3] === 3) {
          host = req.subarray(5, 5 + req[4]).toString();
          at = 5 + req[4];
        } else return client.destroy();
        const port = req.readUInt16BE(at);
        p.connections++;
        const up = connect(port, host, () => {
          client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
          up.pipe(client);
          client.pipe(up);
        });
        up.on('error', () => client.destroy());
      });
    });
  });
  const port = await listen(server);
  p.url = `socks5://127.0.0.1:${port}`;
  p.close = closer(server, sockets);
  return p;
}

test('requests are spread over an HTTP and a SOCKS5 proxy; a dead proxy is set aside and nothing is lost', async () => {
  const log = await startRealLeafLog({ size: 800, pageSize: 32 });
  const http = await startHttpProxy();
  const socks = await startSocks5();
  // A port nobody listens on: connections are refused.
  const deadServer = createServer();
  const deadPort = await listen(deadServer);
  await new Promise<void>((r) => deadServer.close(() => r()));
  const warnings: string[] = [];
  const routes = new RoutePool([http.url, socks.url, `http://127.0.0.1:${deadPort}`], { connectionsPerHost: 2, onWarning: (m) => warnings.push(m) });
  try {
    const chunks: ScannedChunk[] = [];
    const collector = new CtLogCollector({ logUrl: log.url, start: 0, end: 799, routes, backoff: { baseMs: 5, maxMs: 50 }, persistentConnections: false });
    await collector.run((c) => {
      chunks.push(c);
    });
    let next = 0;
    for (const c of chunks) {
      assert.equal(c.start, next);
      next = c.end + 1;
    }
    assert.equal(next, 800);
    assert.deepEqual(
      chunks.flatMap((c) => c.found.map((f) => f.index)),
      log.jpIndexes,
    );
    assert.ok(http.connections > 0, 'the HTTP proxy carried requests');
    assert.ok(socks.connections > 0, 'the SOCKS5 proxy carried requests');
    assert.ok(warnings.some((w) => w.includes(`127.0.0.1:${deadPort}`) && w.includes('set aside')));
  } finally {
    await routes.close();
    await http.close();
    await socks.close();
    await log.close();
  }
});
