/**
 * A small but real RFC 6962 log over HTTP for the worker's tests: it serves
 * the real leaves of test/data/ct-real (repeated to the size asked for) with
 * a Google-style page cap (32 entries, aligned), a tree head signed with a
 * fresh ECDSA key, inclusion proofs (by hash and by index), and faults on
 * demand (429 with or without Retry-After, 5xx, dropped connections, a tree
 * head that is stale or badly signed, a leaf that is not the one in the tree).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MerkleTree, leafHash, signTreeHead, sthToJson } from '../../src/share/ct/index.js';
import { loadRealEntries } from '../../tools/fixtures/ct-real.js';

export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'drop' }
  | { kind: 'more-than-asked' }
  | { kind: 'empty' }
  | { kind: 'garbage-leaf' }
  /** The first entry served is a real, well-formed leaf, but not the one the tree holds there. */
  | { kind: 'swapped-leaf' };

export interface LogRequest {
  path: string;
  start: number | null;
  end: number | null;
  /** Entries served (0 for faults and tree heads). */
  served: number;
  fault: Fault['kind'] | null;
}

export interface RealLeafLogOptions {
  /** Entries in the log (the real leaves, repeated). */
  size?: number;
  /** Largest page served; answers end at a multiple of it. */
  pageSize?: number;
  /** Tree size published in get-sth (default: all entries). */
  publishedSize?: number;
  /** Decides a fault for the n-th request (0-based, all paths counted). */
  faultFor?: (n: number, req: { path: string; start: number | null; end: number | null }) => Fault | null;
  /** get-entries answers wait for this, so a test can change the world while a scan is under way. */
  entriesGate?: Promise<void>;
}

export interface RealLeafLog {
  url: string;
  /** DER SubjectPublicKeyInfo of the log key. */
  publicKey: Buffer;
  leaves: { leafInput: string; extraData: string; coversJp: boolean }[];
  /** Indexes of the entries that cover a `.jp` name. */
  jpIndexes: number[];
  requests: LogRequest[];
  /** Change what get-sth publishes (must stay <= size). */
  setPublishedSize(n: number): void;
  close(): Promise<void>;
}

export async function startRealLeafLog(options: RealLeafLogOptions = {}): Promise<RealLeafLog> {
  const real = loadRealEntries();
  const size = options.size ?? 1000;
  const pageSize = options.pageSize ?? 32;
  // One string per distinct real leaf, shared by every repetition: large logs stay small in memory.
  const distinct = real.map((e) => ({ leafInput: e.leafInput.toString('base64'), extraData: e.extraData.toString('base64'), coversJp: e.expected.covers_jp === true }));
  const leaves = Array.from({ length: size }, (_, i) => distinct[i % distinct.length]);
  const distinctHashes = real.map((e) => leafHash(e.leafInput));
  // Leaves repeat, so a hash names its first index (as in a real log that logged a leaf twice).
  const firstIndexOfHash = new Map(distinctHashes.map((h, i) => [h.toString('base64'), i]));
  const tree = new MerkleTree();
  for (let i = 0; i < size; i++) tree.appendLeafHash(distinctHashes[i % distinctHashes.length]);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  let published = options.publishedSize ?? size;
  const requests: LogRequest[] = [];

  const sthBody = (key: KeyObject, n: number): string => JSON.stringify(sthToJson(signTreeHead(key, Date.now(), n, tree.root(n))));

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const u = new URL(req.url ?? '/', 'http://log');
    const num = (k: string): number | null => (u.searchParams.has(k) ? Number(u.searchParams.get(k)) : null);
    const record: LogRequest = { path: u.pathname, start: num('start'), end: num('end'), served: 0, fault: null };
    const n = requests.length;
    requests.push(record);
    const fault = options.faultFor?.(n, { path: u.pathname, start: record.start, end: record.end }) ?? null;
    record.fault = fault?.kind ?? null;
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      res.writeHead(fault.status, headers).end(`fault ${fault.status}`);
      return;
    }
    if (u.pathname === '/ct/v1/get-sth') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(sthBody(privateKey, published));
      return;
    }
    if (u.pathname === '/ct/v1/get-proof-by-hash' || u.pathname === '/ct/v1/get-entry-and-proof') {
      const treeSize = num('tree_size');
      const index = u.pathname.endsWith('by-hash') ? firstIndexOfHash.get(u.searchParams.get('hash') ?? '') : num('leaf_index');
      if (treeSize === null || !Number.isInteger(treeSize) || treeSize < 1 || treeSize > size || index === undefined || index === null || !Number.isInteger(index) || index < 0 || index >= treeSize) {
        res.writeHead(400).end('bad hash, leaf_index or tree_size');
        return;
      }
      const auditPath = tree.inclusionProof(index, treeSize).map((h) => h.toString('base64'));
      const body = u.pathname.endsWith('by-hash') ? { leaf_index: index, audit_path: auditPath } : { leaf_input: leaves[index].leafInput, extra_data: leaves[index].extraData, audit_path: auditPath };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    if (u.pathname === '/ct/v1/get-entries' && options.entriesGate) {
      void options.entriesGate.then(() => serveEntries(record, fault, res));
      return;
    }
    if (u.pathname === '/ct/v1/get-entries') {
      serveEntries(record, fault, res);
      return;
    }
    res.writeHead(404).end('not found');
  };

  const serveEntries = (record: LogRequest, fault: Fault | null, res: ServerResponse): void => {
    const start = record.start;
    const end = record.end;
    if (start === null || end === null || !Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) {
      res.writeHead(400).end('bad start/end');
      return;
    }
    // Like a load-balanced log, entries are served up to the real size whatever get-sth says.
    if (start >= size) {
      res.writeHead(400).end('start beyond tree size');
      return;
    }
    let last = Math.min(end, size - 1, Math.floor(start / pageSize) * pageSize + pageSize - 1);
    if (fault?.kind === 'more-than-asked') last = Math.min(size - 1, end + 1);
    if (fault?.kind === 'empty') last = start - 1;
    const entries = leaves.slice(start, last + 1).map((l) => ({ leaf_input: l.leafInput, extra_data: l.extraData }));
    if (fault?.kind === 'garbage-leaf' && entries.length > 0) entries[0] = { leaf_input: Buffer.from('not a leaf').toString('base64'), extra_data: '' };
    if (fault?.kind === 'swapped-leaf' && entries.length > 0) {
      const other = distinct.find((d) => d.leafInput !== leaves[start].leafInput)!;
      entries[0] = { leaf_input: other.leafInput, extra_data: other.extraData };
    }
    record.served = entries.length;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ entries }));
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    publicKey: publicKey.export({ format: 'der', type: 'spki' }),
    leaves,
    jpIndexes: leaves.flatMap((l, i) => (l.coversJp ? [i] : [])),
    requests,
    setPublishedSize(n: number) {
      if (n > size) throw new RangeError(`published size ${n} > ${size}`);
      published = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
