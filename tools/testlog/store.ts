/**
 * The on-disk cache of generated corpora: `<cacheDir>/v<version>-<key>/`,
 * written to a temporary directory and renamed into place, so concurrent
 * test processes never see half a corpus (the loser of a race uses the
 * winner's copy).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATOR_VERSION, type Chain, type Corpus, type CorpusSpec, type LogTable, type PoolItem } from './corpus.js';
import type { ExpectedData } from './expected.js';

export function corpusDir(cacheDir: string, spec: CorpusSpec): string {
  // A tiled log's leaves differ (leaf_index extensions), so its API is part of the key; RFC 6962
  // logs are keyed as before, so the corpora already cached for them stay valid.
  const logs = spec.logs.map((l) => (l.api === 'static-ct-api' ? [l.name, l.size, l.api] : [l.name, l.size]));
  const key = createHash('sha256').update(JSON.stringify([spec.seed, spec.jpShare, logs])).digest('hex').slice(0, 16);
  const safeSeed = spec.seed.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 32);
  const total = spec.logs.reduce((s, l) => s + l.size, 0);
  return join(cacheDir, `v${GENERATOR_VERSION}-${safeSeed}-${total}-${key}`);
}

interface Meta {
  version: number;
  objectCount: number;
  chains: { issuerId: string; keyHash: string; certs: number[] }[];
  roots: number[];
  pool: PoolItem[];
  /** leafIndex: absent (false) in corpora cached before tiled logs existed. */
  logs: { name: string; size: number; leafIndex?: boolean }[];
}

const view = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

export function saveCorpus(dir: string, c: Corpus): void {
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  const lengths = new Uint32Array(c.objects.map((o) => o.length));
  writeFileSync(join(tmp, 'objects.len'), view(lengths));
  writeFileSync(join(tmp, 'objects.bin'), Buffer.concat(c.objects));
  for (const [i, l] of c.logs.entries()) {
    for (const col of ['ts', 'type', 'obj', 'pre', 'chain'] as const) writeFileSync(join(tmp, `log${i}.${col}`), view(l[col]));
    writeFileSync(join(tmp, `log${i}.hashes`), l.hashes);
  }
  writeFileSync(join(tmp, 'expected.json'), JSON.stringify(c.expected));
  const meta: Meta = {
    version: GENERATOR_VERSION,
    objectCount: c.objects.length,
    chains: c.chains.map((ch) => ({ issuerId: ch.issuerId, keyHash: ch.keyHash.toString('hex'), certs: ch.certs })),
    roots: c.roots,
    pool: c.pool,
    logs: c.logs.map((l) => ({ name: l.name, size: l.size, ...(l.leafIndex ? { leafIndex: true } : {}) })),
  };
  writeFileSync(join(tmp, 'meta.json'), JSON.stringify(meta));
  try {
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, 'meta.json'))) throw err;
  }
}

function typed<T>(file: string, make: (buf: ArrayBuffer, offset: number, length: number) => T, bytesPer: number): T {
  const b = readFileSync(file);
  // Copy into a fresh, aligned buffer: readFileSync may hand out a pooled slice.
  const ab = new ArrayBuffer(b.length);
  new Uint8Array(ab).set(b);
  return make(ab, 0, b.length / bytesPer);
}

export function loadCorpus(dir: string): Corpus | null {
  let meta: Meta;
  try {
    meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
  } catch {
    return null;
  }
  if (meta.version !== GENERATOR_VERSION) return null;
  const lengths = typed(join(dir, 'objects.len'), (b, o, n) => new Uint32Array(b, o, n), 4);
  const all = readFileSync(join(dir, 'objects.bin'));
  const objects: Buffer[] = [];
  let at = 0;
  for (const n of lengths) {
    objects.push(all.subarray(at, at + n));
    at += n;
  }
  const logs: LogTable[] = meta.logs.map((l, i) => ({
    name: l.name,
    size: l.size,
    ts: typed(join(dir, `log${i}.ts`), (b, o, n) => new Float64Array(b, o, n), 8),
    type: typed(join(dir, `log${i}.type`), (b, o, n) => new Uint8Array(b, o, n), 1),
    obj: typed(join(dir, `log${i}.obj`), (b, o, n) => new Uint32Array(b, o, n), 4),
    pre: typed(join(dir, `log${i}.pre`), (b, o, n) => new Uint32Array(b, o, n), 4),
    chain: typed(join(dir, `log${i}.chain`), (b, o, n) => new Uint16Array(b, o, n), 2),
    hashes: readFileSync(join(dir, `log${i}.hashes`)),
    leafIndex: l.leafIndex === true,
  }));
  const chains: Chain[] = meta.chains.map((c) => ({ issuerId: c.issuerId, keyHash: Buffer.from(c.keyHash, 'hex'), certs: c.certs }));
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as ExpectedData;
  return { objects, chains, roots: meta.roots, pool: meta.pool, logs, expected };
}
