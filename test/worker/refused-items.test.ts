// What the worker does when the manager refuses items of an upload for good (a 4xx naming
// `items[i]`): it keeps those items aside in the spool folder with the manager's message, uploads
// the rest, and never retries the refused ones; nothing is lost and nothing blocks the spool.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { parseFraction } from '../../src/manager-api/config.js';
import type { Assignment, UploadItem } from '../../src/share/api/index.js';
import { ManagerClient, ManagerError } from '../../src/worker/manager-client.js';
import { Spool } from '../../src/worker/spool.js';
import { Uploader, refusedItems } from '../../src/worker/uploader.js';
import { startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, testManagerEnv, type TestManagerEnv } from '../helpers/manager.js';
import { tempDir } from '../helpers/worker-env.js';
import { indexesCoveringJp, uploadItem } from '../helpers/uploads.js';

let g: TestLog;
let env: TestManagerEnv;
let app: FastifyInstance;
let client: ManagerClient;
let lease: Assignment;
let jp: number[];
let notJp: number[];

before(async () => {
  g = await startTestLog({ name: 'g1', category: 'google', size: 400, pageSize: 32 });
  jp = indexesCoveringJp(g.leaves);
  notJp = indexesCoveringJp(g.leaves, false);
  env = await testManagerEnv([catalogueEntry(g)], { targetFraction: parseFraction('1/1'), assignmentSize: 400 });
  app = await env.build();
  await app.planner.planAll();
  await app.listen({ port: 0, host: '127.0.0.1' });
  client = new ManagerClient({ baseUrl: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, token: null, userAgent: 'ctjp-test' });
  lease = (await client.instructions({ worker_id: 'w1', friend_name: 'alice', version: '0.1.0' })).assignments[0];
});

after(async () => {
  await client?.close();
  await env?.cleanup();
  await g?.close();
});

const item = (index: number, more: Partial<UploadItem> = {}): UploadItem => ({ ...uploadItem(g, lease.lease_id, index), ...more });

const storedIndexes = async (indexes: number[]): Promise<number[]> =>
  (await app.db.selectFrom('sightings').select('leaf_index').where('leaf_index', 'in', indexes).orderBy('leaf_index').execute()).map((r) => r.leaf_index);

/** The files set aside in the spool folder: their items' indexes and the reason kept with them. */
async function setAside(dir: string): Promise<{ name: string; indexes: number[]; reason: string | undefined }[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.rejected')).sort();
  return Promise.all(
    names.map(async (name) => {
      const body = JSON.parse(await readFile(join(dir, name), 'utf8')) as { items: UploadItem[]; reason?: string };
      return { name, indexes: body.items.map((i) => i.index), reason: body.reason };
    }),
  );
}

async function uploaderIn(dir: string, maxItems = 1000): Promise<{ uploader: Uploader; warnings: string[]; accepted: number[] }> {
  const warnings: string[] = [];
  const accepted: number[] = [];
  const spool = await Spool.open<UploadItem>(dir, { maxBytes: 1 << 24, retryIntervalMs: 0, onWarning: (m) => warnings.push(m) });
  const uploader = new Uploader(client, spool, { maxItems, onWarning: (_k, m) => warnings.push(m), onAccepted: (_c, n) => accepted.push(n) });
  return { uploader, warnings, accepted };
}

test('an upload with a leaf that is not .jp: that item is set aside with the manager message, the others are stored', async () => {
  const { dir, remove } = await tempDir('ctjp-refused-');
  try {
    const { uploader, warnings, accepted } = await uploaderIn(dir);
    const good = jp.slice(0, 6);
    const bad = notJp[0];
    const items = [item(good[0]), item(good[1]), item(bad), ...good.slice(2).map((i) => item(i))];
    assert.equal(await uploader.deliver('google', items), 'uploaded');
    assert.deepEqual(await storedIndexes([...good, bad]), [...good].sort((a, b) => a - b));
    const aside = await setAside(dir);
    assert.equal(aside.length, 1);
    assert.deepEqual(aside[0].indexes, [bad]);
    assert.match(aside[0].reason ?? '', /manager answered 422 .*items\[2\]\.leaf_input \(log g1, index \d+\): its certificate covers no \.jp name/);
    assert.ok(warnings.some((w) => w.includes('refused 1 item(s) for good') && w.includes('covers no .jp name') && w.includes(aside[0].name)), warnings.join('\n'));
    assert.deepEqual(accepted, [6]);
    assert.equal(uploader.spool.size, 0, 'nothing waits in the spool');
  } finally {
    await remove();
  }
});

test('a spooled unit with refused items: they leave it for their own file, the rest is delivered, nothing is retried', async () => {
  const { dir, remove } = await tempDir('ctjp-refused-');
  try {
    const { uploader, accepted } = await uploaderIn(dir, 4);
    const good = jp.slice(10, 17);
    // Two bad items in two requests of 4, and one on a lease that does not exist with a good item on it too.
    const items = [item(good[0]), item(notJp[1]), item(good[1]), item(good[2]), item(good[3]), item(notJp[2]), item(good[4], { lease_id: 999999 }), item(good[5], { lease_id: 999999 }), item(good[6])];
    await uploader.spool.add('google', items);
    await uploader.retryDue(Date.now() + 1);
    assert.equal(uploader.spool.size, 0, 'the unit left the spool');
    assert.deepEqual(await storedIndexes([...good, notJp[1], notJp[2]]), [good[0], good[1], good[2], good[3], good[6]].sort((a, b) => a - b));
    const aside = await setAside(dir);
    assert.deepEqual(
      aside.map((a) => a.indexes).sort((a, b) => a[0] - b[0]),
      [[notJp[1]], [notJp[2]], [good[4], good[5]]].sort((a, b) => a[0] - b[0]),
    );
    assert.ok(aside.some((a) => /lease_id 999999 does not exist/.test(a.reason ?? '')));
    assert.equal(
      accepted.reduce((s, n) => s + n, 0),
      5,
    );
    // Nothing is tried again: a second round has nothing to do.
    await uploader.retryDue(Date.now() + 1);
    assert.equal((await setAside(dir)).length, 3);
  } finally {
    await remove();
  }
});

test('refusedItems: the named item, or all those on the refused lease or log; none when no item is named', () => {
  const items = [item(jp[0]), item(jp[1], { lease_id: 7 }), item(jp[2], { lease_id: 7 }), item(jp[3], { log_name: 'other' })];
  const refusal = (message: string, code: string): ManagerError => new ManagerError(`manager answered 422: ${message}`, 422, { statusCode: 422, message, code });
  assert.deepEqual(refusedItems(refusal('items[2].leaf_input (log g1, index 5): its certificate covers no .jp name', 'NOT_JP'), items), [2]);
  assert.deepEqual(refusedItems(refusal('items[1].lease_id 7 does not exist', 'UNKNOWN_LEASE'), items), [1, 2]);
  assert.deepEqual(refusedItems(refusal('items[3].log_name: unknown log "other"', 'UNKNOWN_LOG'), items), [3]);
  assert.equal(refusedItems(refusal('items[9].index 5 is outside lease 1 [0, 3]', 'INDEX_OUTSIDE_LEASE'), items), null, 'an item the request does not have');
  assert.equal(refusedItems(refusal('body must be array', 'INVALID_REQUEST'), items), null);
  assert.equal(refusedItems(new ManagerError('manager unreachable', null), items), null);
});
