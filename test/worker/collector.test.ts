import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leafIndexExtension } from '../../src/share/ct/index.js';
import { CtLogCollector, CtLogUnavailableError, type CollectorEvent, type CollectorOptions, type ScannedChunk } from '../../src/worker/collector.js';
import { startRealLeafLog, type Fault, type RealLeafLog } from '../helpers/real-leaf-log.js';

const FAST = { baseMs: 5, maxMs: 50 };

async function scan(log: RealLeafLog, opts: Partial<CollectorOptions> & { start: number; end: number }) {
  const events: CollectorEvent[] = [];
  const chunks: ScannedChunk[] = [];
  const collector = new CtLogCollector({ logUrl: log.url, backoff: FAST, logKey: log.publicKey, onEvent: (e) => events.push(e), ...opts });
  await collector.run((c) => {
    chunks.push(c);
  });
  return { collector, chunks, events };
}

/** Chunks must tile [start, end] exactly, in order, without gaps or overlaps. */
function assertTiles(chunks: ScannedChunk[], start: number, end: number): void {
  let next = start;
  for (const c of chunks) {
    assert.equal(c.start, next, `chunk starts at ${c.start}, expected ${next}`);
    assert.ok(c.end >= c.start);
    next = c.end + 1;
  }
  assert.equal(next, end + 1);
}

function found(chunks: ScannedChunk[]): number[] {
  return chunks.flatMap((c) => c.found.map((f) => f.index));
}

/** Every get-entries request asked for no more than one page and stayed aligned once the page size was known. */
function entriesRequests(log: RealLeafLog) {
  return log.requests.filter((r) => r.path === '/ct/v1/get-entries');
}

test('scans an unaligned range of a 32-per-page log: learns the page, aligns, finds exactly the .jp entries', async () => {
  const log = await startRealLeafLog({ size: 1000, pageSize: 32 });
  try {
    const { collector, chunks, events } = await scan(log, { start: 5, end: 900, batchSize: 256, maxInFlight: 4 });
    assertTiles(chunks, 5, 900);
    assert.deepEqual(found(chunks), log.jpIndexes.filter((i) => i >= 5 && i <= 900));
    for (const c of chunks) for (const f of c.found) assert.equal(f.leafInput, log.leaves[f.index].leafInput);
    assert.equal(collector.stats.pageSize, 32);
    assert.ok(events.some((e) => e.type === 'page-size' && e.pageSize === 32));
    const reqs = entriesRequests(log);
    // After the first (learning) request every request is within one 32-page.
    for (const r of reqs.slice(1)) assert.equal(Math.floor(r.start! / 32), Math.floor(r.end! / 32), `request ${r.start}-${r.end} crosses a page`);
    assert.equal(collector.stats.entries, 896);
  } finally {
    await log.close();
  }
});

test('learns a 256 page and continues from start + returned', async () => {
  const log = await startRealLeafLog({ size: 2000, pageSize: 256 });
  try {
    const { chunks, collector } = await scan(log, { start: 100, end: 1999, batchSize: 1000, maxInFlight: 3 });
    assertTiles(chunks, 100, 1999);
    assert.equal(collector.stats.pageSize, 256);
    assert.deepEqual(found(chunks), log.jpIndexes.filter((i) => i >= 100));
    const reqs = entriesRequests(log);
    assert.deepEqual([reqs[0].start, reqs[0].end, reqs[0].served], [100, 999, 156]);
    assert.equal(reqs[1].start, 256);
  } finally {
    await log.close();
  }
});

test('429 with Retry-After waits as told; 429 without it backs off and slows down; never an index skipped', async () => {
  const faults: Record<number, Fault> = {
    2: { kind: 'status', status: 429, retryAfter: '1' },
    4: { kind: 'status', status: 429 },
    5: { kind: 'status', status: 429 },
    9: { kind: 'status', status: 429, retryAfter: new Date(Date.now() + 500).toUTCString() },
  };
  const log = await startRealLeafLog({ size: 600, faultFor: (n) => faults[n] ?? null });
  try {
    const { chunks, events, collector } = await scan(log, { start: 0, end: 599, maxInFlight: 2 });
    assertTiles(chunks, 0, 599);
    assert.deepEqual(found(chunks), log.jpIndexes);
    const limited = events.filter((e) => e.type === 'rate-limited');
    assert.equal(limited.length, 4);
    assert.equal(collector.stats.rateLimited, 4);
    assert.deepEqual(
      limited.map((e) => e.type === 'rate-limited' && e.retryAfter),
      [true, false, false, true],
    );
    assert.equal(limited[0].type === 'rate-limited' && limited[0].waitMs, 1000);
    // Every index was served exactly once by a successful answer.
    const served = new Map<number, number>();
    for (const r of entriesRequests(log)) for (let i = 0; i < r.served; i++) served.set(r.start! + i, (served.get(r.start! + i) ?? 0) + 1);
    for (let i = 0; i < 600; i++) assert.equal(served.get(i), 1, `index ${i} served ${served.get(i) ?? 0} times`);
  } finally {
    await log.close();
  }
});

test('5xx, dropped connections, empty answers, more than asked and broken leaves are all retried', async () => {
  const plan: Fault[] = [
    { kind: 'status', status: 500 },
    { kind: 'status', status: 503 },
    { kind: 'drop' },
    { kind: 'empty' },
    { kind: 'more-than-asked' },
    { kind: 'garbage-leaf' },
    { kind: 'status', status: 504 },
  ];
  // Faults on every third get-entries request until the plan runs out.
  let entriesSeen = 0;
  const log = await startRealLeafLog({
    size: 700,
    faultFor: (_n, req) => {
      if (req.path !== '/ct/v1/get-entries') return null;
      entriesSeen++;
      return entriesSeen % 3 === 0 ? (plan.shift() ?? null) : null;
    },
  });
  try {
    const { chunks, events } = await scan(log, { start: 3, end: 650, maxInFlight: 3 });
    assertTiles(chunks, 3, 650);
    assert.deepEqual(found(chunks), log.jpIndexes.filter((i) => i >= 3 && i <= 650));
    const reasons = events.flatMap((e) => (e.type === 'retry' ? [e.reason] : []));
    assert.equal(reasons.length, 7);
    assert.ok(reasons.some((r) => r.includes('HTTP 500')));
    assert.ok(reasons.some((r) => r.includes('empty entries')));
    assert.ok(reasons.some((r) => r.includes('entries returned')));
    assert.ok(reasons.some((r) => r.includes('MerkleTreeLeaf') || r.includes('leaf')));
  } finally {
    await log.close();
  }
});

test('never asks past the verified tree head; waits for the log to grow, then finishes', async () => {
  const log = await startRealLeafLog({ size: 500, publishedSize: 300 });
  try {
    const events: CollectorEvent[] = [];
    const chunks: ScannedChunk[] = [];
    const collector = new CtLogCollector({
      logUrl: log.url,
      start: 200,
      end: 450,
      backoff: FAST,
      logKey: log.publicKey,
      treeHeadRefreshMs: 20,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'waiting-for-log') log.setPublishedSize(500);
      },
    });
    await collector.run((c) => {
      chunks.push(c);
    });
    assertTiles(chunks, 200, 450);
    const waited = events.findIndex((e) => e.type === 'waiting-for-log');
    assert.ok(waited > 0);
    // Before the tree grew, nothing at or beyond index 300 was asked for.
    const reqs = entriesRequests(log);
    const beforeGrowth = reqs.filter((r) => r.end! < 300 || r.start! < 300);
    for (const r of beforeGrowth) assert.ok(r.end! <= 299, `asked ${r.start}-${r.end} beyond tree size 300`);
  } finally {
    await log.close();
  }
});

test('a stale (smaller) tree head is ignored and a badly signed one is refused', async () => {
  const other = await startRealLeafLog({ size: 100 });
  const log = await startRealLeafLog({ size: 300, publishedSize: 300 });
  try {
    // Signed by another key: refused every time, so the collector gives up.
    await assert.rejects(
      new CtLogCollector({ logUrl: log.url, start: 0, end: 10, logKey: other.publicKey, backoff: FAST, giveUpAfterMs: 100 }).run(() => {}),
      CtLogUnavailableError,
    );
    const log2 = await startRealLeafLog({ size: 500, publishedSize: 300 });
    try {
      const events: CollectorEvent[] = [];
      let waits = 0;
      const collector = new CtLogCollector({
        logUrl: log2.url,
        start: 250,
        end: 450,
        logKey: log2.publicKey,
        backoff: FAST,
        treeHeadRefreshMs: 10,
        onEvent: (e) => {
          events.push(e);
          // First a lagging replica answers with a smaller tree, then the log grows.
          if (e.type === 'waiting-for-log') log2.setPublishedSize(++waits === 1 ? 100 : 500);
        },
      });
      const chunks: ScannedChunk[] = [];
      await collector.run((c) => {
        chunks.push(c);
      });
      assertTiles(chunks, 250, 450);
      assert.ok(events.some((e) => e.type === 'stale-tree-head' && e.treeSize === 100 && e.kept === 300));
      assert.equal(collector.stats.treeSize, 500);
      const early = entriesRequests(log2).slice(0, entriesRequests(log2).findIndex((r) => r.end! >= 300));
      for (const r of early) assert.ok(r.end! < 300);
    } finally {
      await log2.close();
    }
  } finally {
    await log.close();
    await other.close();
  }
});

test('an aborted scan stops quietly after the chunks already read', async () => {
  const log = await startRealLeafLog({ size: 1000 });
  try {
    const ac = new AbortController();
    const chunks: ScannedChunk[] = [];
    const collector = new CtLogCollector({ logUrl: log.url, start: 0, end: 999, signal: ac.signal, backoff: FAST });
    await collector.run((c) => {
      chunks.push(c);
      if (chunks.length === 3) ac.abort();
    });
    assert.ok(chunks.length >= 3 && chunks.length < 32);
    assertTiles(chunks, 0, chunks.at(-1)!.end);
    assert.equal(collector.verification.state, 'unverified');
  } finally {
    await log.close();
  }
});

const proofRequests = (log: RealLeafLog) => log.requests.filter((r) => r.path === '/ct/v1/get-proof-by-hash' || r.path === '/ct/v1/get-entry-and-proof');

test('every scanned range is proven to be in the signed tree with two inclusion proofs', async () => {
  const log = await startRealLeafLog({ size: 1000, pageSize: 32 });
  try {
    // Unaligned, aligned, one entry, the first and the last entries of the tree.
    for (const [start, end] of [[5, 900], [0, 999], [64, 127], [0, 0], [517, 517], [998, 999], [300, 301]] as const) {
      const before = proofRequests(log).length;
      const { collector, chunks, events } = await scan(log, { start, end, maxInFlight: 3 });
      assertTiles(chunks, start, end);
      assert.deepEqual(collector.verification, { state: 'verified', start, end, treeSize: 1000, signed: true }, `[${start}, ${end}]`);
      assert.ok(events.some((e) => e.type === 'range-verification'));
      const proofs = proofRequests(log).slice(before);
      assert.ok(proofs.filter((r) => r.path === '/ct/v1/get-proof-by-hash').length === (start === end ? 1 : 2), `[${start}, ${end}] asked ${proofs.length} proofs`);
    }
    // The test log repeats its leaves, so entry 900's hash first names an earlier index: the proof is then asked by index.
    assert.ok(proofRequests(log).some((r) => r.path === '/ct/v1/get-entry-and-proof'));
  } finally {
    await log.close();
  }
});

test('a served leaf that is not the one in the tree fails the verification, wherever it is', async () => {
  for (const swapAt of ['first', 'middle', 'last'] as const) {
    let entriesSeen = 0;
    const log = await startRealLeafLog({
      size: 400,
      pageSize: 32,
      faultFor: (_n, req) => {
        if (req.path !== '/ct/v1/get-entries') return null;
        entriesSeen++;
        const hit = req.start === { first: 10, middle: 128, last: 352 }[swapAt];
        return hit && entriesSeen < 100 ? { kind: 'swapped-leaf' } : null;
      },
    });
    try {
      // Pages of 32: the request for the last page starts with entry 352, the range's end.
      const { collector, chunks } = await scan(log, { start: 10, end: 352, batchSize: 32, maxInFlight: 1 });
      assertTiles(chunks, 10, 352);
      const v = collector.verification;
      assert.equal(v.state, 'failed', `swapped ${swapAt}: ${JSON.stringify(v)}`);
    } finally {
      await log.close();
    }
  }
});

test('a log that serves no proofs leaves the range unverified and the scan complete', async () => {
  const log = await startRealLeafLog({
    size: 300,
    faultFor: (_n, req) => (req.path === '/ct/v1/get-proof-by-hash' ? { kind: 'status', status: 404 } : null),
  });
  try {
    const { collector, chunks } = await scan(log, { start: 0, end: 299 });
    assertTiles(chunks, 0, 299);
    assert.deepEqual(found(chunks), log.jpIndexes);
    const v = collector.verification;
    assert.equal(v.state, 'unverified');
    assert.match(v.state === 'unverified' ? v.reason : '', /no inclusion proof for entry 0: inclusion proof of 0: HTTP 404/);
    assert.equal(proofRequests(log).length, 4, 'a bounded number of tries');
  } finally {
    await log.close();
  }
});

test('leaf_index extensions are read as 40-bit indexes', () => {
  assert.equal(leafIndexExtension(new Uint8Array(0)), null);
  assert.equal(leafIndexExtension(Uint8Array.of(0, 0, 5, 1, 0, 0, 0, 2)), 2 ** 32 + 2);
  assert.equal(leafIndexExtension(Uint8Array.of(7, 0, 1, 9)), null);
  assert.throws(() => leafIndexExtension(Uint8Array.of(0, 0, 2, 1, 2)));
});
