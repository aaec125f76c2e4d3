/**
 * A stand-in CT log for manager benchmarks: a really signed get-sth claiming
 * a large tree, and get-entries pages of real leaves (page size 32). The
 * manager only plans against it; nothing scans it.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signTreeHead, sthToJson } from '../../src/share/ct/index.js';
import { loadRealEntries } from '../../tools/fixtures/ct-real.js';

export async function startFakeLog(treeSize: number): Promise<{ url: string; key: string; close: () => Promise<void> }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const root = randomBytes(32);
  const leaves = loadRealEntries().map((e) => e.leafInput.toString('base64'));
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'application/json');
    if (u.pathname === '/ct/v1/get-sth') return res.end(JSON.stringify(sthToJson(signTreeHead(privateKey, Date.now(), treeSize, root))));
    if (u.pathname === '/ct/v1/get-entries') {
      const start = Number(u.searchParams.get('start'));
      const end = Number(u.searchParams.get('end'));
      const n = Math.max(0, Math.min(32, end - start + 1));
      return res.end(JSON.stringify({ entries: Array.from({ length: n }, (_, i) => ({ leaf_input: leaves[(start + i) % leaves.length], extra_data: '' })) }));
    }
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    key: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
