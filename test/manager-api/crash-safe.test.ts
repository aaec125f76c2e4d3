// The raw leaf files agree with the database after any crash: the real manager process is killed
// (SIGKILL) halfway through writing an upload's lines, after writing them but before the commit,
// and right after the commit; a commit fails; each time it is started again on the same database
// and data directory, and every stored sighting has exactly one line, and no line is without one.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDatabase, type Db } from '../../src/db/connect.js';
import { leafFileName } from '../../src/manager-api/ingest/leaf-store.js';
import type { Assignment, UploadItem } from '../../src/share/api/index.js';
import type { TestFault } from '../../src/manager-api/ingest/test-fault.js';
import { startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { dropTestDatabase, testDatabaseUrl } from '../../tools/fixtures/database.js';
import { catalogueEntry } from '../helpers/manager.js';
import { startManagerProcess, type ManagerProcess } from '../../tools/fixtures/manager-process.js';
import { waitFor } from '../../tools/fixtures/wait.js';
import { indexesCoveringJp, uploadItem } from '../helpers/uploads.js';

let g: TestLog;
let dir: string;
let dbUrl: string;
let db: Db;

before(async () => {
  g = await startTestLog({ name: 'g1', category: 'google', size: 400, pageSize: 32 });
  dir = mkdtempSync(join(tmpdir(), 'ctjp-crash-'));
  writeFileSync(join(dir, 'logs.json'), JSON.stringify({ logs: [catalogueEntry(g)] }));
  dbUrl = testDatabaseUrl();
});

/** Every manager started, so that none outlives a failing test. */
const started: ManagerProcess[] = [];

after(async () => {
  await Promise.all(started.map((m) => m.stop()));
  await db?.destroy();
  await dropTestDatabase(dbUrl);
  rmSync(dir, { recursive: true, force: true });
  await g.close();
});

async function start(fault?: TestFault): Promise<ManagerProcess> {
  const m = await startManagerProcess(
    ['--db', dbUrl, '--logs', join(dir, 'logs.json'), '--data-dir', join(dir, 'data'), '--open', '--target-fraction', '1/1', '--assignment-size', '400', '--log-level', 'warn'],
    fault ? { CTJP_TEST_FAULT: fault } : {},
  );
  started.push(m);
  return m;
}

async function post(m: ManagerProcess, path: string, body: unknown): Promise<Response> {
  return fetch(`${m.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** The log's leaf file as (index, leaf_input) lines; fails on anything that is not a whole line. */
function fileLines(): { index: number; leafInput: string }[] {
  const text = readFileSync(join(dir, 'data', leafFileName(g.url)), 'utf8');
  if (text === '') return [];
  assert.ok(text.endsWith('\n'), 'the file ends with a whole line');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const m = /^(\d+)\t([A-Za-z0-9+/]+=*)$/.exec(line);
      assert.ok(m, `a well-formed line: ${JSON.stringify(line.slice(0, 80))}`);
      return { index: Number(m[1]), leafInput: m[2] };
    });
}

/** Every stored sighting has exactly one line holding its leaf, and there is no other line. */
async function assertAgree(uploaded: Map<number, string>, what: string): Promise<number[]> {
  const stored = (await db.selectFrom('sightings').select('leaf_index').orderBy('leaf_index').execute()).map((r) => r.leaf_index);
  const lines = fileLines();
  assert.deepEqual(
    lines.map((l) => l.index).sort((a, b) => a - b),
    stored,
    `${what}: one line per sighting, nothing else`,
  );
  for (const l of lines) assert.equal(l.leafInput, uploaded.get(l.index), `${what}: line ${l.index} holds the uploaded leaf`);
  const committed = await db.selectFrom('leaf_files').select('bytes').executeTakeFirstOrThrow();
  assert.equal(committed.bytes, Buffer.byteLength(readFileSync(join(dir, 'data', leafFileName(g.url)))), `${what}: the file is its committed length`);
  return stored;
}

test('killed mid-write, before and after the commit, or with a failing commit: after a restart the leaf file and the sightings agree exactly', async () => {
  let m = await start();
  db = connectDatabase(dbUrl, 2);
  await waitFor('the test log to be planned', async () => (await db.selectFrom('logs').select('target_end').where('name', '=', g.name).executeTakeFirst())?.target_end != null);
  const r = await post(m, '/api/v1/instructions', { worker_id: 'w1', friend_name: 'alice', version: '0.1.0' });
  assert.equal(r.status, 200, await r.clone().text());
  const lease = ((await r.json()) as { assignments: Assignment[] }).assignments[0];
  assert.deepEqual([lease.start, lease.end], [0, 399]);

  // The .jp leaves of the log, in batches of 12: each step uploads a batch never seen before.
  const jp = indexesCoveringJp(g.leaves);
  const item = (index: number): UploadItem => uploadItem(g, lease.lease_id, index);
  const uploaded = new Map(jp.map((i) => [i, item(i).leaf_input]));
  const batch = (k: number): UploadItem[] => jp.slice(12 * k, 12 * (k + 1)).map(item);
  assert.ok(jp.length >= 12 * 6);

  // A first batch, stored normally.
  assert.equal((await post(m, '/api/v1/certificates', batch(0))).status, 200);
  assert.deepEqual(await assertAgree(uploaded, 'a normal upload'), batch(0).map((i) => i.index));
  await m.stop();

  // Each kill: the upload gets no answer, the process dies of SIGKILL, and a restart (without the fault) finds the files and database agreeing.
  const kills: { fault: TestFault; k: number; stored: boolean; cut: boolean }[] = [
    { fault: 'kill-mid-write', k: 1, stored: false, cut: true },
    { fault: 'kill-before-commit', k: 2, stored: false, cut: true },
    { fault: 'kill-after-commit', k: 3, stored: true, cut: false },
  ];
  let expected = batch(0).map((i) => i.index);
  for (const { fault, k, stored, cut } of kills) {
    m = await start(fault);
    await assert.rejects(post(m, '/api/v1/certificates', batch(k)), `${fault}: no answer`);
    assert.equal(await m.exited, 'SIGKILL', fault);
    const sightings = (await db.selectFrom('sightings').select('leaf_index').execute()).length;
    assert.equal(sightings, expected.length + (stored ? 12 : 0), `${fault}: the batch is ${stored ? '' : 'not '}in the database`);
    if (stored) expected = [...expected, ...batch(k).map((i) => i.index)].sort((a, b) => a - b);
    m = await start();
    assert.deepEqual(await assertAgree(uploaded, `restart after ${fault}`), expected);
    assert.equal(
      m.out.some((l) => l.includes('cut the lines of uploads that did not commit')),
      cut,
      `${fault}: start-up ${cut ? 'says it cut' : 'cuts nothing'}\n${m.out.join('\n')}`,
    );
    await m.stop();
  }

  // A commit that fails: the upload is refused with a 500 and leaves no line; the same upload again is stored once.
  m = await start('fail-commit');
  const failed = await post(m, '/api/v1/certificates', batch(4));
  assert.equal(failed.status, 500);
  assert.deepEqual(await assertAgree(uploaded, 'a failed commit, before any restart'), expected);
  await m.stop();
  m = await start();
  try {
    assert.deepEqual(await assertAgree(uploaded, 'restart after a failed commit'), expected);
    // Every batch again (the worker retries what got no answer): the missing ones are stored once, the others are duplicates.
    for (let k = 0; k <= 4; k++) assert.equal((await post(m, '/api/v1/certificates', batch(k))).status, 200);
    expected = jp.slice(0, 60);
    assert.deepEqual(await assertAgree(uploaded, 'after the retries'), expected);
    // The maintained counters count each sighting once too.
    const counted = await db.selectFrom('log_counters').select((eb) => eb.fn.sum<number>('sightings').as('n')).executeTakeFirstOrThrow();
    const daily = await db.selectFrom('daily_counts').select((eb) => eb.fn.sum<number>('sightings').as('n')).executeTakeFirstOrThrow();
    assert.deepEqual([Number(counted.n), Number(daily.n)], [60, 60]);
  } finally {
    await m.stop();
  }
});
