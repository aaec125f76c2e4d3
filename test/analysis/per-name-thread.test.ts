import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Partitioner } from '../../src/analysis/partition.js';
import { countPerNameFiles, countPerNameInThread } from '../../src/analysis/per-name-thread.js';
import { generateLineages } from '../../tools/fixtures/synthetic-lineages.js';

async function partitioned(dir: string, name: string): Promise<Partitioner> {
  const certs = generateLineages({ seed: 5, perBehaviour: { 'certbot-90': 15, 'manual-yearly': 15, 'manual-lapsed': 5, single: 5 } }).flatMap((l) => l.certs);
  const p = await Partitioner.create(join(dir, name), certs.length, 'per-name', 200);
  assert.ok(p.partitions > 1);
  for (const c of certs) await p.add(c);
  await p.close();
  return p;
}

test('the per-name counts made on a worker thread equal those made on this one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ctjp-per-name-'));
  try {
    // Coverage with a hole, so that censored renewals are counted as well.
    const periods = [
      { start: Date.UTC(2024, 0, 1), end: Date.UTC(2024, 11, 1) },
      { start: Date.UTC(2025, 2, 1), end: Date.UTC(2027, 0, 1) },
    ];
    const here = await countPerNameFiles((await partitioned(dir, 'a')).files(), periods);
    const there = await countPerNameInThread((await partitioned(dir, 'b')).files(), periods).counts;
    assert.deepEqual(there, here);
    assert.ok(here.lineages > 0 && here.renewals > 0 && here.renewals_censored > 0, JSON.stringify(here));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a failure on the thread reaches the caller, naming what failed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ctjp-per-name-'));
  try {
    const files = { ...(await partitioned(dir, 'a')).files(), dir: join(dir, 'missing') };
    await assert.rejects(countPerNameInThread(files, []).counts, /ENOENT.*missing/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
