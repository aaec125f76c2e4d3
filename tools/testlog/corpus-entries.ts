/**
 * The entries of one log of a generated corpus (corpus.ts): its table of
 * entries, growable by filler entries as a running log appends them, read
 * as get-entries, the data tiles and the archives need them.
 */
import { createHash } from 'node:crypto';
import { ENTRY_PRECERT, hashEntries, LEAF_SUFFIX_MAX, NO_OBJECT, writeLeafPrefix, writeLeafSuffix, type Corpus, type LogTable } from './corpus.js';
import { Rng } from './rng.js';
import type { LogEntries } from './server.js';

const u24 = (n: number): Buffer => Buffer.of(n >> 16, (n >> 8) & 0xff, n & 0xff);

export class CorpusEntries implements LogEntries {
  private table: LogTable;
  private capacity: number;
  private readonly chainLists: Buffer[];
  private readonly x509Extra: string[];
  private readonly growthRng: Rng;
  readonly roots: string[];
  /** Per chain: the TileLeaf certificate_chain vector (uint16 length, SHA-256 of each certificate). */
  private readonly chainFingerprints: Buffer[];
  /** issuer/<hex>: every certificate of every chain, by SHA-256. */
  private readonly issuers = new Map<string, Buffer>();

  constructor(
    private readonly corpus: Corpus,
    table: LogTable,
    seed: string,
  ) {
    this.table = table;
    this.capacity = table.size;
    this.growthRng = new Rng(seed, `growth:${table.name}`);
    this.chainLists = corpus.chains.map((c) => {
      const body = Buffer.concat(c.certs.flatMap((id) => [u24(corpus.objects[id].length), corpus.objects[id]]));
      return Buffer.concat([u24(body.length), body]);
    });
    this.x509Extra = this.chainLists.map((b) => b.toString('base64'));
    this.roots = corpus.roots.map((id) => corpus.objects[id].toString('base64'));
    this.chainFingerprints = corpus.chains.map((c) => {
      const fps = c.certs.map((id) => {
        const fp = createHash('sha256').update(corpus.objects[id]).digest();
        this.issuers.set(fp.toString('hex'), corpus.objects[id]);
        return fp;
      });
      return Buffer.concat([Buffer.of((32 * fps.length) >> 8, (32 * fps.length) & 0xff), ...fps]);
    });
  }

  get size(): number {
    return this.table.size;
  }

  get leafIndex(): boolean {
    return this.table.leafIndex;
  }

  leafHash(i: number): Buffer {
    return this.table.hashes.subarray(32 * i, 32 * i + 32);
  }

  /** Append `count` filler entries now (timestamps from the clock), as a growing log does. */
  append(count: number): void {
    const from = this.table.size;
    const to = from + count;
    if (to > this.capacity) this.grow(Math.max(to, Math.ceil(this.capacity * 1.5) + 1024));
    const t = this.table;
    const pool = this.corpus.pool;
    const recent = Math.max(1, Math.floor(pool.length / 10));
    let ts = Math.max(Date.now(), from > 0 ? t.ts[from - 1] + 1 : 0);
    for (let i = from; i < to; i++) {
      const item = pool[pool.length - 1 - this.growthRng.int(recent)];
      const precert = this.growthRng.chance(0.7);
      t.ts[i] = ts++;
      t.type[i] = precert ? ENTRY_PRECERT : 0;
      t.obj[i] = precert ? item.tbs : item.final;
      t.pre[i] = precert ? item.precert : NO_OBJECT;
      t.chain[i] = item.chain;
    }
    t.size = to;
    hashEntries(t, from, to, this.corpus.objects, this.corpus.chains);
  }

  private grow(capacity: number): void {
    const t = this.table;
    const copy = <T extends Float64Array | Uint8Array | Uint32Array | Uint16Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a.subarray(0, t.size) as never);
      return b;
    };
    const hashes = Buffer.alloc(32 * capacity);
    t.hashes.copy(hashes, 0, 0, 32 * t.size);
    this.table = {
      name: t.name,
      size: t.size,
      ts: copy(t.ts, (n) => new Float64Array(n)),
      type: copy(t.type, (n) => new Uint8Array(n)),
      obj: copy(t.obj, (n) => new Uint32Array(n)),
      pre: copy(t.pre, (n) => new Uint32Array(n)),
      chain: copy(t.chain, (n) => new Uint16Array(n)),
      hashes,
      leafIndex: t.leafIndex,
    };
    this.capacity = capacity;
  }

  leafInput(i: number): Buffer {
    const t = this.table;
    const body = this.corpus.objects[t.obj[i]];
    const buf = Buffer.allocUnsafe(12 + 32 + 3 + body.length + LEAF_SUFFIX_MAX);
    const p = writeLeafPrefix(buf, 0, t, i, body.length, this.corpus.chains);
    body.copy(buf, p);
    return buf.subarray(0, writeLeafSuffix(buf, p + body.length, t, i));
  }

  tileLeaf(i: number): Buffer {
    const t = this.table;
    const body = this.corpus.objects[t.obj[i]];
    const pre = t.pre[i] === NO_OBJECT ? null : this.corpus.objects[t.pre[i]];
    const fps = this.chainFingerprints[t.chain[i]];
    const buf = Buffer.allocUnsafe(12 + 32 + 3 + body.length + LEAF_SUFFIX_MAX + (pre ? 3 + pre.length : 0) + fps.length);
    let p = writeLeafPrefix(buf, 0, t, i, body.length, this.corpus.chains);
    body.copy(buf, p);
    p = writeLeafSuffix(buf, p + body.length, t, i);
    if (pre) {
      buf.writeUIntBE(pre.length, p, 3);
      pre.copy(buf, p + 3);
      p += 3 + pre.length;
    }
    fps.copy(buf, p);
    return buf.subarray(2, p + fps.length);
  }

  issuer(hex: string): Buffer | undefined {
    return this.issuers.get(hex);
  }

  issuerNames(): string[] {
    return [...this.issuers.keys()];
  }

  extraData(i: number): string {
    const t = this.table;
    if (t.pre[i] === NO_OBJECT) return this.x509Extra[t.chain[i]];
    const pre = this.corpus.objects[t.pre[i]];
    return Buffer.concat([u24(pre.length), pre, this.chainLists[t.chain[i]]]).toString('base64');
  }

  entryTimestamp(i: number): number {
    return this.table.ts[i];
  }
}
