/**
 * A minimal real RFC 6962 log for tests: get-sth (really signed, over a real
 * Merkle tree) and get-entries (at most pageSize per answer), over HTTP on an
 * ephemeral loopback port. Leaves are the real ones from test/data/ct-real,
 * re-stamped with increasing timestamps so that window searches work.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MerkleTree, decodeMerkleTreeLeaf, encodeMerkleTreeLeaf, signTreeHead, sthToJson } from '../../src/share/ct/index.js';
import { loadRealEntries } from '../../tools/fixtures/ct-real.js';

export interface TestLog {
  name: string;
  category: string;
  url: string;
  /** Base64 DER SPKI of the signing key. */
  key: string;
  leaves: Buffer[];
  close(): Promise<void>;
}

export interface TestLogOptions {
  name: string;
  category: string;
  size: number;
  pageSize?: number;
  /** Timestamp of entry i: firstTimestamp + i * stepMs. */
  firstTimestamp?: number;
  stepMs?: number;
}

/** `size` real leaves (cycled), re-stamped: entry i gets firstTimestamp + i * stepMs. */
export function makeLeaves(size: number, firstTimestamp = Date.UTC(2025, 11, 1), stepMs = 60_000): Buffer[] {
  const real = loadRealEntries().map((e) => decodeMerkleTreeLeaf(e.leafInput));
  return Array.from({ length: size }, (_, i) => {
    const e = real[i % real.length];
    return Buffer.from(encodeMerkleTreeLeaf({ ...e, timestamp: firstTimestamp + i * stepMs }));
  });
}

export async function startTestLog(o: TestLogOptions): Promise<TestLog> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const leaves = makeLeaves(o.size, o.firstTimestamp, o.stepMs);
  const tree = new MerkleTree();
  for (const leaf of leaves) tree.appendLeaf(leaf);
  const pageSize = o.pageSize ?? 32;
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (u.pathname === '/ct/v1/get-sth') return send(200, sthToJson(signTreeHead(privateKey, Date.now(), leaves.length, tree.root())));
    if (u.pathname === '/ct/v1/get-entries') {
      const start = Number(u.searchParams.get('start'));
      const end = Number(u.searchParams.get('end'));
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || start >= leaves.length) return send(400, { error: 'bad range' });
      const last = Math.min(end, leaves.length - 1, start + pageSize - 1);
      return send(200, { entries: leaves.slice(start, last + 1).map((l) => ({ leaf_input: l.toString('base64'), extra_data: '' })) });
    }
    send(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name: o.name,
    category: o.category,
    url: `http://127.0.0.1:${port}/`,
    key: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    leaves,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A URL where nothing listens (a log that is shut down). */
export async function deadLogUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/`;
}
