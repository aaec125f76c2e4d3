/**
 * Each fault switch of the test log, seen from a client over real HTTP:
 * rate limits (with and without Retry-After), 5xx answers, dropped
 * connections, latency, a growing tree and stale tree heads.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { parseSth, verifyConsistency, verifySthSignature, decodeMerkleTreeLeaf, type SignedTreeHead } from '../../src/share/ct/index.js';
import { startTestLogs, type TestLogs } from '../../tools/testlog/index.js';

let tl: TestLogs;
const LOG = 'argon-test';
const url = (): string => tl.logs.find((l) => l.name === LOG)!.url;
const key = (): Buffer => Buffer.from(tl.logs.find((l) => l.name === LOG)!.key, 'base64');

async function sth(): Promise<SignedTreeHead> {
  const r = await fetch(`${url()}ct/v1/get-sth`);
  assert.equal(r.status, 200);
  return parseSth(await r.json());
}

async function consistency(first: number, second: number): Promise<Buffer[]> {
  const r = await fetch(`${url()}ct/v1/get-sth-consistency?first=${first}&second=${second}`);
  assert.equal(r.status, 200);
  return ((await r.json()) as { consistency: string[] }).consistency.map((x) => Buffer.from(x, 'base64'));
}

before(async () => {
  tl = await startTestLogs({ seed: 'faults', size: 600, logs: [LOG, 'wyvern-test'] });
});
beforeEach(() => {
  tl.setFaults(LOG, {});
});
after(async () => {
  await tl.close();
});

describe('fault switches', () => {
  test('rate limit: 429 with Retry-After once the bucket is empty', async () => {
    tl.setFaults(LOG, { rateLimit: { perSecond: 0.5, burst: 2 } });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${url()}ct/v1/get-sth`);
      await r.arrayBuffer();
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
    }
    assert.deepEqual(statuses.slice(0, 2), [200, 200]);
    assert.equal(statuses[3], 429);
    assert.match(retryAfter ?? '', /^[1-9]\d*$/);
  });

  test('rate limit, DigiCert style: 429 without Retry-After', async () => {
    tl.setFaults(LOG, { rateLimit: { perSecond: 0.5, burst: 1, retryAfter: false } });
    await (await fetch(`${url()}ct/v1/get-sth`)).arrayBuffer();
    const r = await fetch(`${url()}ct/v1/get-sth`);
    await r.arrayBuffer();
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), null);
  });

  test('5xx rate: a share of answers are server errors, some as HTML gateway pages', async () => {
    tl.setFaults(LOG, { errorRate: 0.5 });
    const statuses: number[] = [];
    const types = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const r = await fetch(`${url()}ct/v1/get-entries?start=0&end=5`);
      await r.arrayBuffer();
      statuses.push(r.status);
      if (r.status >= 500) types.add(r.headers.get('content-type') ?? '');
    }
    assert.ok(statuses.includes(200));
    assert.ok(statuses.some((s) => [500, 502, 503, 504].includes(s)));
    assert.ok(statuses.every((s) => s === 200 || [500, 502, 503, 504].includes(s)));
    assert.ok(types.has('text/html') && types.has('application/json'));
  });

  test('dropped connections: the socket closes without an answer', async () => {
    tl.setFaults(LOG, { dropRate: 1 });
    await assert.rejects(fetch(`${url()}ct/v1/get-sth`), TypeError);
    tl.setFaults(LOG, {});
    assert.equal((await fetch(`${url()}ct/v1/get-sth`)).status, 200);
  });

  test('latency: a delayed log answers after an undelayed one asked later', async () => {
    tl.setFaults(LOG, { latencyMs: 1500 });
    const other = tl.logs.find((l) => l.name === 'wyvern-test')!.url;
    const order: string[] = [];
    const slow = fetch(`${url()}ct/v1/get-sth`).then(async (r) => {
      await r.arrayBuffer();
      order.push('delayed');
    });
    const fast = fetch(`${other}ct/v1/get-sth`).then(async (r) => {
      await r.arrayBuffer();
      order.push('prompt');
    });
    await Promise.all([slow, fast]);
    assert.deepEqual(order, ['prompt', 'delayed']);
  });

  test('growing tree: entries appended over time, the STH advances consistently', async () => {
    const first = await sth();
    tl.setFaults(LOG, { growthPerSecond: 400 });
    let second = first;
    for (let i = 0; i < 200 && second.treeSize <= first.treeSize; i++) {
      await new Promise((r) => setTimeout(r, 50));
      second = await sth();
    }
    tl.setFaults(LOG, {});
    assert.ok(second.treeSize > first.treeSize, 'the tree grew');
    assert.ok(second.timestamp > first.timestamp);
    assert.ok(verifySthSignature(second, key()));
    assert.ok(verifyConsistency(first.treeSize, second.treeSize, first.rootHash, second.rootHash, await consistency(first.treeSize, second.treeSize)));
  });

  test('append: a deterministic step of growth with recent, ordered timestamps', async () => {
    const before = await sth();
    tl.append(LOG, 40);
    const after = await sth();
    assert.equal(after.treeSize, before.treeSize + 40);
    assert.ok(verifyConsistency(before.treeSize, after.treeSize, before.rootHash, after.rootHash, await consistency(before.treeSize, after.treeSize)));
    const r = await fetch(`${url()}ct/v1/get-entries?start=${before.treeSize}&end=${after.treeSize - 1}`);
    const entries = ((await r.json()) as { entries: { leaf_input: string }[] }).entries;
    assert.ok(entries.length > 0);
    const ts = entries.map((e) => decodeMerkleTreeLeaf(Buffer.from(e.leaf_input, 'base64')).timestamp);
    for (let i = 1; i < ts.length; i++) assert.ok(ts[i] > ts[i - 1]);
    assert.ok(ts[ts.length - 1] <= after.timestamp, 'the STH is not older than its newest entry');
  });

  test('stale tree heads: a smaller, older, validly signed STH consistent with the current one', async () => {
    const current = await sth();
    tl.setFaults(LOG, { staleSthRate: 1 });
    const stale = await sth();
    assert.ok(stale.treeSize < current.treeSize);
    assert.ok(stale.timestamp < current.timestamp);
    assert.ok(verifySthSignature(stale, key()));
    assert.ok(verifyConsistency(stale.treeSize, current.treeSize, stale.rootHash, current.rootHash, await consistency(stale.treeSize, current.treeSize)));
    tl.setFaults(LOG, { staleSthRate: 0.5 });
    const sizes = new Set<number>();
    for (let i = 0; i < 30; i++) sizes.add((await sth()).treeSize);
    assert.ok(sizes.has(current.treeSize) && sizes.has(stale.treeSize));
  });

  test('bad fault settings are refused with the name of the setting', () => {
    assert.throws(() => tl.setFaults(LOG, { errorRate: 2 }), /errorRate/);
    assert.throws(() => tl.setFaults(LOG, { rateLimit: { perSecond: 0 } }), /perSecond/);
    assert.throws(() => tl.setFaults(LOG, { latencyMs: [5, 1] }), /latencyMs/);
  });
});
