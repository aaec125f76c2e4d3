/**
 * The RFC 6962 read path of a log source: `get-entries` pages (or, for a
 * hybrid log, its data tiles), proven against `get-sth` with two inclusion
 * proofs per range (range-verifier.ts).
 *
 * Rules it keeps (field lessons of earlier collectors):
 * - requests are aligned to the log's page size, learnt from the first short answers;
 * - every answer is untrusted: never more entries than asked, every leaf must decode,
 *   and a leaf_index extension, when present, must name the index asked for;
 * - the next request always starts at start + returned, so no index is ever skipped;
 * - the tree head is verified when the log's key is known, only the largest one is
 *   kept, and no entry at or beyond its tree size is asked for.
 */
import { decodeBase64 } from './bytes.js';
import { BadResponse, ContradictoryAnswer } from './http.js';
import { decodeMerkleTreeLeaf, leafHash } from './leaf.js';
import type { LogEntries, LogSource, LogSourceOptions, TreeHeadRef } from './log-source.js';
import { verifyConsistency } from './merkle.js';
import { RangeVerifier, type LeafProof, type RangeVerification } from './range-verifier.js';
import { parseSth, verifySthSignature, type SignedTreeHead } from './sth.js';
import { DATA_TILE_MAX_BYTES, LogSourceBase } from './source-base.js';
import { decodeDataTile, leafIndexExtension, merkleTreeLeafOf, tileWidthAt, TILE_WIDTH } from './tiles.js';

interface Range {
  start: number;
  end: number;
}

interface FetchedRange {
  start: number;
  leaves: Uint8Array[];
  hashes: Buffer[];
}

const PROOF_TRIES = 4;

/** Smallest power of two >= n. */
function ceilPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export class Rfc6962Source extends LogSourceBase implements LogSource {
  readonly api = 'rfc6962' as const;
  private pageSize: number | null = null;
  private answered = false;
  private verifier: RangeVerifier | null = null;
  private verdict: RangeVerification | null = null;
  private range: Range = { start: 0, end: -1 };

  constructor(o: LogSourceOptions) {
    super(o);
    if (o.dataTiles) this.pageSize = TILE_WIDTH;
    else if (o.pageSize && o.pageSize > 0) this.pageSize = Math.min(o.pageSize, this.batchSize);
    this.stats.pageSize = this.pageSize;
  }

  get verification(): RangeVerification {
    const { start, end } = this.range;
    if (this.verdict !== null) return this.verdict;
    return { state: 'unverified', start, end, reason: this.o.verifyRange === false ? 'verification switched off' : 'the scan did not reach the end' };
  }

  private get batchSize(): number {
    return this.o.dataTiles ? TILE_WIDTH : Math.max(1, this.o.batchSize ?? 256);
  }

  protected async fetchTreeHead(): Promise<SignedTreeHead> {
    const key = this.o.key;
    const sth = await this.http.withRetries('get-sth', async (route) => {
      const got = parseSth(await this.http.getJson('ct/v1/get-sth', route));
      if (key !== null && !verifySthSignature(got, key)) throw new BadResponse('tree head signature does not verify with the log key');
      return got;
    });
    return sth;
  }

  async *entries(start: number, end: number): AsyncGenerator<LogEntries> {
    this.checkRange(start, end);
    const signal = this.http.signal;
    this.range = { start, end };
    this.verdict = null;
    this.verifier = this.o.verifyRange === false ? null : new RangeVerifier(start, end, (i, h) => this.proveLeaf(i, h), this.o.key !== null);
    const maxInFlight = Math.max(1, this.o.maxInFlight ?? 4);
    let nextToAsk = start;
    let nextToYield = start;
    const retryFirst: Range[] = [];
    const done = new Map<number, FetchedRange>();
    const inFlight = new Map<number, Promise<void>>();
    let failure: unknown = null;

    try {
      await this.refreshTreeHead();
      while (nextToYield <= end) {
        if (signal?.aborted) return;
        if (failure !== null) throw failure;
        const limit = Math.min(end, (this.sth?.treeSize ?? 0) - 1);
        // One request at a time until the first answer has shown how the log pages.
        const allowed = this.answered || this.pageSize !== null ? maxInFlight : 1;
        while (inFlight.size < allowed) {
          const again = retryFirst.shift();
          let range: Range | null;
          if (again !== undefined) {
            range = this.nextRange(again.start, again.end);
            if (range !== null && range.end < again.end) retryFirst.unshift({ start: range.end + 1, end: again.end });
          } else {
            range = this.nextRange(nextToAsk, limit);
          }
          if (range === null) break;
          if (range.start === nextToAsk) nextToAsk = range.end + 1;
          const asked = range;
          const p = this.fetchRange(asked).then(
            (got) => {
              done.set(got.start, got);
              if (got.leaves.length < asked.end - asked.start + 1) retryFirst.unshift({ start: got.start + got.leaves.length, end: asked.end });
            },
            (err: unknown) => {
              failure ??= err;
            },
          );
          inFlight.set(asked.start, p);
          void p.finally(() => inFlight.delete(asked.start));
        }
        let chunk = done.get(nextToYield);
        if (chunk !== undefined) {
          while (chunk !== undefined) {
            done.delete(nextToYield);
            nextToYield = chunk.start + chunk.leaves.length;
            await this.verifier?.take(chunk.start, chunk.hashes);
            yield { start: chunk.start, leaves: chunk.leaves, proven: false };
            chunk = done.get(nextToYield);
          }
          continue;
        }
        if (inFlight.size === 0) {
          if (failure !== null) throw failure;
          // Everything up to the tree head is read but the range goes further: wait for the log to grow.
          await this.waitForGrowth(end);
          continue;
        }
        await Promise.race(inFlight.values());
      }
      if (this.verifier !== null) {
        this.verdict = await this.verifier.finish();
        this.emit({ type: 'range-verification', verification: this.verdict });
      }
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    } finally {
      await Promise.allSettled(inFlight.values());
    }
  }

  /** The next request: from `from` up to the page boundary (or the batch size), within `limit`. */
  private nextRange(from: number, limit: number): Range | null {
    if (from > limit) return null;
    const size = this.pageSize ?? this.batchSize;
    const pageEnd = Math.floor(from / size) * size + size - 1;
    return { start: from, end: Math.min(limit, pageEnd, from + this.batchSize - 1) };
  }

  /** Learn the page size from a short answer: the cap it hit, aligned when it looks aligned. */
  private learnPageSize(asked: Range, count: number): void {
    const askedCount = asked.end - asked.start + 1;
    if (count >= askedCount) return;
    const boundary = asked.start + count;
    const aligned = ceilPow2(count);
    const guess = boundary % aligned === 0 && aligned <= this.batchSize ? aligned : count;
    if (this.pageSize === null || guess > this.pageSize) {
      this.pageSize = guess;
      this.stats.pageSize = guess;
      this.emit({ type: 'page-size', pageSize: guess });
    }
  }

  private fetchRange(range: Range): Promise<FetchedRange> {
    return this.o.dataTiles ? this.fetchFromDataTile(range) : this.fetchPage(range);
  }

  /** get-entries for [range.start, range.end]: at least one entry, never more than asked, all checked. */
  private async fetchPage(range: Range): Promise<FetchedRange> {
    const asked = range.end - range.start + 1;
    return this.http.withRetries(`get-entries ${range.start}-${range.end}`, async (route) => {
      const body = await this.http.getJson(`ct/v1/get-entries?start=${range.start}&end=${range.end}`, route);
      const entries = (body as { entries?: unknown } | null)?.entries;
      if (!Array.isArray(entries)) throw new BadResponse('no entries array');
      if (entries.length === 0) throw new BadResponse('empty entries array inside the tree');
      if (entries.length > asked) throw new BadResponse(`${entries.length} entries returned, ${asked} asked`);
      const leaves: Uint8Array[] = [];
      const hashes: Buffer[] = [];
      for (let i = 0; i < entries.length; i++) {
        const index = range.start + i;
        const b64 = (entries[i] as { leaf_input?: unknown } | null)?.leaf_input;
        if (typeof b64 !== 'string') throw new BadResponse(`entry ${index} has no leaf_input`);
        const leaf = decodeBase64(b64, `entry ${index} leaf_input`);
        const claimed = leafIndexExtension(decodeMerkleTreeLeaf(leaf).extensions);
        if (claimed !== null && claimed !== index) throw new BadResponse(`entry ${index} says it is entry ${claimed}`);
        if (this.verifier !== null) hashes.push(leafHash(leaf));
        leaves.push(leaf);
      }
      this.learnPageSize(range, entries.length);
      this.answered = true;
      this.stats.entries += entries.length;
      return { start: range.start, leaves, hashes };
    });
  }

  /**
   * A hybrid log's data tile for the range (which nextRange keeps inside one tile):
   * the entries are proven like get-entries answers, against get-sth and inclusion proofs.
   */
  private async fetchFromDataTile(range: Range): Promise<FetchedRange> {
    const tile = Math.floor(range.start / TILE_WIDTH);
    const first = tile * TILE_WIDTH;
    const width = tileWidthAt(0, tile, this.sth?.treeSize ?? 0);
    if (range.end - first >= width) throw new RangeError(`entries ${range.start}-${range.end} are not all in tile ${tile} of tree ${this.sth?.treeSize}`);
    return this.http.withRetries(`data tile ${tile} (${range.start}-${range.end})`, async (route) => {
      const got = await this.tile(route, 'data', tile, width, DATA_TILE_MAX_BYTES);
      const entries = decodeDataTile(got.bytes, got.width, first).slice(0, width);
      const leaves: Uint8Array[] = [];
      const hashes: Buffer[] = [];
      for (let index = range.start; index <= range.end; index++) {
        const e = entries[index - first];
        if (e.leafIndex !== null && e.leafIndex !== index) throw new BadResponse(`entry ${index} says it is entry ${e.leafIndex}`);
        const leaf = merkleTreeLeafOf(e.timestampedEntry);
        if (this.verifier !== null) hashes.push(leafHash(leaf));
        leaves.push(leaf);
      }
      this.answered = true;
      this.stats.entries += leaves.length;
      return { start: range.start, leaves, hashes };
    });
  }

  async timestampAt(index: number): Promise<number> {
    const [leaf] = await this.getEntries(index, index);
    if (!leaf) throw new Error(`get-entries ${index}..${index} returned nothing`);
    return decodeMerkleTreeLeaf(leaf).timestamp;
  }

  protected async extendsTreeHead(seen: TreeHeadRef, held: SignedTreeHead): Promise<boolean> {
    const path = await this.http.withRetries(
      `consistency proof ${seen.treeSize}->${held.treeSize}`,
      async (route) => {
        const body = await this.http.getJson(`ct/v1/get-sth-consistency?first=${seen.treeSize}&second=${held.treeSize}`, route);
        const proof = (body as { consistency?: unknown } | null)?.consistency;
        if (!Array.isArray(proof) || proof.length > 128 || proof.some((p) => typeof p !== 'string')) throw new BadResponse('no consistency array of base64 strings');
        return proof.map((p: string, i) => decodeBase64(p, `consistency[${i}]`));
      },
      PROOF_TRIES,
    );
    return verifyConsistency(seen.treeSize, held.treeSize, seen.rootHash, held.rootHash, path);
  }

  /** One get-entries request, as answered (for planning probes). */
  async getEntries(start: number, end: number): Promise<Uint8Array[]> {
    return this.http.withRetries(`get-entries ${start}-${end}`, async (route) => {
      const body = await this.http.getJson(`ct/v1/get-entries?start=${start}&end=${end}`, route);
      const entries = (body as { entries?: unknown } | null)?.entries;
      if (!Array.isArray(entries)) throw new BadResponse('no entries array');
      if (entries.length > end - start + 1) throw new BadResponse(`${entries.length} entries returned, ${end - start + 1} asked`);
      return entries.map((e, i) => {
        const b64 = (e as { leaf_input?: unknown } | null)?.leaf_input;
        if (typeof b64 !== 'string') throw new BadResponse(`entry ${start + i} has no leaf_input`);
        return decodeBase64(b64, `entry ${start + i} leaf_input`);
      });
    });
  }

  /**
   * The inclusion proof of one scanned leaf in the largest tree head held.
   * By hash first (what every RFC 6962 log serves); a log holding the same
   * leaf twice answers with the other index, so then by index.
   */
  private async proveLeaf(index: number, hash: Uint8Array): Promise<LeafProof> {
    const sth = this.sth;
    if (sth === null || index >= sth.treeSize) throw new Error(`entry ${index} is not below a verified tree head`);
    const n = sth.treeSize;
    const auditPath = (body: unknown): Uint8Array[] => {
      const path = (body as { audit_path?: unknown } | null)?.audit_path;
      if (!Array.isArray(path) || path.length > 64 || path.some((p) => typeof p !== 'string')) throw new BadResponse('no audit_path array of base64 strings');
      return path.map((p: string, i) => decodeBase64(p, `audit_path[${i}]`));
    };
    return this.http.withRetries(
      `inclusion proof of ${index}`,
      async (route) => {
        const byHash = await this.http.getJson(`ct/v1/get-proof-by-hash?hash=${encodeURIComponent(Buffer.from(hash).toString('base64'))}&tree_size=${n}`, route);
        const leafIndex = (byHash as { leaf_index?: unknown } | null)?.leaf_index;
        if (typeof leafIndex !== 'number') throw new BadResponse('no leaf_index in the proof');
        if (leafIndex === index) return { path: auditPath(byHash), sth };
        const byIndex = await this.http.getJson(`ct/v1/get-entry-and-proof?leaf_index=${index}&tree_size=${n}`, route);
        const leafInput = (byIndex as { leaf_input?: unknown } | null)?.leaf_input;
        if (typeof leafInput !== 'string') throw new BadResponse('no leaf_input in get-entry-and-proof');
        if (!leafHash(decodeBase64(leafInput, 'leaf_input')).equals(hash)) throw new ContradictoryAnswer(`the log holds another leaf at ${index} than it served`);
        return { path: auditPath(byIndex), sth };
      },
      PROOF_TRIES,
    );
  }
}
