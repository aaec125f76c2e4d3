import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { LeafStore, STORE_ID_FILE, leafFileName, type LeafLine } from '../../src/manager-api/ingest/leaf-store.js';
import { leafFilesOf } from '../../src/manager-api/repositories/leaf-files.js';
import { dropTestDatabase, testDatabaseUrl } from '../../tools/fixtures/database.js';

const URL_A = 'https://log.example/x/';

async function withStoreDb(fn: (db: Db, dir: string) => Promise<void>): Promise<void> {
  const url = testDatabaseUrl();
  const db = await openDatabase(url, 8);
  const dir = mkdtempSync(join(tmpdir(), 'ctjp-leaves-'));
  try {
    await fn(db, dir);
  } finally {
    await db.destroy();
    await dropTestDatabase(url);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What an upload does with its lines: prepare, then write as the last step of its transaction. */
async function store(db: Db, s: LeafStore, lines: LeafLine[], url = URL_A): Promise<void> {
  await s.prepare(db, [url]);
  await inTransaction(db, (trx) => s.writeInTransaction(trx, new Map([[url, lines]])));
}

/** The same, but the transaction fails after writing (a failed commit). */
async function storeAndFail(db: Db, s: LeafStore, lines: LeafLine[], url = URL_A): Promise<void> {
  await s.prepare(db, [url]);
  await assert.rejects(
    inTransaction(db, async (trx) => {
      await s.writeInTransaction(trx, new Map([[url, lines]]));
      throw new Error('commit fails');
    }),
    /commit fails/,
  );
}

const fileOf = (dir: string, url = URL_A): string => join(dir, leafFileName(url));
const committed = async (db: Db, s: LeafStore): Promise<Record<string, number>> => Object.fromEntries((await leafFilesOf(db, await s.storeId())).map((r) => [r.file, r.bytes]));

test('leaf files are named from the log URL, sanitised', () => {
  assert.equal(leafFileName('https://ct.googleapis.com/logs/us1/argon2025h1/'), 'ct.googleapis.com_logs_us1_argon2025h1.leaves');
  assert.equal(leafFileName('http://127.0.0.1:8443/../x?y=1'), '127.0.0.1_8443_x.leaves');
});

test('two stores on one directory (two manager processes) write whole lines, each once, and the committed length is the file length', async () => {
  await withStoreDb(async (db, dir) => {
    const a = new LeafStore(dir);
    const b = new LeafStore(dir);
    assert.equal(await a.storeId(), await b.storeId());
    await Promise.all(Array.from({ length: 40 }, (_, i) => store(db, i % 2 ? a : b, [{ index: i, leafInput: 'A'.repeat(5000 + i) }, { index: 1000 + i, leafInput: 'B' }])));
    await Promise.all([a.close(), b.close()]);
    const text = readFileSync(fileOf(dir), 'utf8');
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 80);
    for (const line of lines) assert.match(line, /^\d+\t(A{5000,}|B)$/);
    assert.deepEqual([...new Set(lines.map((l) => l.split('\t')[0]))].length, 80);
    assert.deepEqual(await committed(db, a), { [leafFileName(URL_A)]: Buffer.byteLength(text) });
  });
});

test('lines of a transaction that does not commit are cut: by the failed upload, by the next upload, or at start-up', async () => {
  await withStoreDb(async (db, dir) => {
    const s = new LeafStore(dir);
    await store(db, s, [{ index: 1, leafInput: 'one' }]);
    const good = '1\tone\n';

    // The failed upload cuts what it wrote once its transaction has rolled back.
    await storeAndFail(db, s, [{ index: 2, leafInput: 'two'.repeat(100) }]);
    assert.equal(readFileSync(fileOf(dir), 'utf8'), `${good}2\t${'two'.repeat(100)}\n`, 'written before the commit');
    await s.cutUncommitted(db, [URL_A]);
    assert.equal(readFileSync(fileOf(dir), 'utf8'), good);

    // Not cut (the process died before it could): the next upload to the file writes over it and cuts the rest.
    await storeAndFail(db, s, [{ index: 3, leafInput: 'three'.repeat(100) }]);
    await store(db, s, [{ index: 4, leafInput: 'four' }]);
    assert.equal(readFileSync(fileOf(dir), 'utf8'), `${good}4\tfour\n`);

    // Nor by a later upload: start-up cuts it, and says how much.
    await storeAndFail(db, s, [{ index: 5, leafInput: 'five' }]);
    await s.close();
    const restarted = new LeafStore(dir);
    assert.deepEqual(await restarted.recover(db), [{ file: leafFileName(URL_A), cut: 7, missing: 0 }]);
    assert.equal(readFileSync(fileOf(dir), 'utf8'), `${good}4\tfour\n`);
    assert.deepEqual(await restarted.recover(db), [], 'a second start finds nothing to do');
    // A file someone else shortened is reported, not changed.
    writeFileSync(fileOf(dir), good);
    assert.deepEqual(await restarted.recover(db), [{ file: leafFileName(URL_A), cut: 0, missing: 7 }]);
    await restarted.close();
  });
});

test('a file from before the committed lengths were kept is adopted at start-up, its torn last line cut', async () => {
  await withStoreDb(async (db, dir) => {
    const url = 'https://old.example/log/';
    writeFileSync(fileOf(dir, url), '7\tseven\n8\teig');
    writeFileSync(fileOf(dir, 'https://whole.example/'), '9\tnine\n');
    const s = new LeafStore(dir);
    assert.deepEqual(await s.recover(db), [{ file: leafFileName(url), cut: 5, missing: 0 }]);
    assert.deepEqual(await committed(db, s), { [leafFileName(url)]: 8, [leafFileName('https://whole.example/')]: 7 });
    await store(db, s, [{ index: 8, leafInput: 'eight' }], url);
    assert.equal(readFileSync(fileOf(dir, url), 'utf8'), '7\tseven\n8\teight\n');
    // Adopted on first use as well, when start-up did not see it.
    const late = 'https://late.example/';
    appendFileSync(fileOf(dir, late), '1\ta\n2\t');
    await store(db, s, [{ index: 2, leafInput: 'b' }], late);
    assert.equal(readFileSync(fileOf(dir, late), 'utf8'), '1\ta\n2\tb\n');
    await s.close();
  });
});

test('each data directory has its own id, and its own committed lengths', async () => {
  await withStoreDb(async (db, dir) => {
    const other = mkdtempSync(join(tmpdir(), 'ctjp-leaves-'));
    try {
      const a = new LeafStore(dir);
      const b = new LeafStore(other);
      assert.notEqual(await a.storeId(), await b.storeId());
      await store(db, a, [{ index: 1, leafInput: 'x'.repeat(100) }]);
      await store(db, b, [{ index: 2, leafInput: 'y' }]);
      assert.equal(statSync(fileOf(other)).size, 4, 'the second directory starts its file at 0');
      await Promise.all([a.close(), b.close()]);
      writeFileSync(join(other, STORE_ID_FILE), 'not an id\n');
      await assert.rejects(new LeafStore(other).storeId(), /leaf-store\.id must hold 32 hexadecimal digits/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
