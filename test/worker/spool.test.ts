import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Spool, SpoolFullError, defaultCacheDir, lockSpoolDir } from '../../src/worker/spool.js';

interface Item {
  index: number;
  leaf_input: string;
}

const items = (from: number, n: number): Item[] => Array.from({ length: n }, (_, i) => ({ index: from + i, leaf_input: 'AAAA'.repeat(10) }));

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ctjp-spool-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('spooled units survive a restart and leave disk once accepted', async () => {
  await withDir(async (dir) => {
    const first = await Spool.open<Item>(dir, { maxBytes: 1 << 20, retryIntervalMs: 600_000 });
    await first.add('google', items(0, 3));
    const b = await first.add('digicert', items(100, 2));
    assert.equal(first.itemCount, 5);
    assert.equal(first.due().length, 0, 'a fresh unit waits for the retry interval');

    const second = await Spool.open<Item>(dir, { maxBytes: 1 << 20, retryIntervalMs: 600_000 });
    assert.equal(second.size, 2);
    assert.equal(second.itemCount, 5);
    assert.equal(second.due().length, 2, 'units read back after a restart are due at once');
    const reloaded = second.all().find((u) => u.id === b.id)!;
    assert.equal(reloaded.category, 'digicert');
    assert.deepEqual(reloaded.items, items(100, 2));

    await second.remove(reloaded);
    assert.equal(second.size, 1);
    const third = await Spool.open<Item>(dir, { maxBytes: 1 << 20, retryIntervalMs: 600_000 });
    assert.deepEqual(
      third.all().map((u) => u.category),
      ['google'],
    );
  });
});

test('a unit is retried on its own schedule; postponing moves only that unit', async () => {
  await withDir(async (dir) => {
    const spool = await Spool.open<Item>(dir, { maxBytes: 1 << 20, retryIntervalMs: 1000 });
    const a = await spool.add('google', items(0, 1));
    const b = await spool.add('google', items(1, 1));
    const later = Date.now() + 5000;
    assert.equal(spool.due(later).length, 2);
    spool.postpone(a, later);
    assert.deepEqual(
      spool.due(later).map((u) => u.id),
      [b.id],
    );
    assert.equal(a.attempts, 2);
  });
});

test('the cap refuses new units loudly and frees up when units are accepted', async () => {
  await withDir(async (dir) => {
    const spool = await Spool.open<Item>(dir, { maxBytes: 2000, retryIntervalMs: 1000 });
    const first = await spool.add('google', items(0, 10));
    await assert.rejects(spool.add('google', items(10, 40)), (err: unknown) => err instanceof SpoolFullError && /spool .* is full/.test(err.message));
    assert.equal(spool.size, 1);
    assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.tmp')), []);
    await spool.remove(first);
    await spool.add('google', items(10, 20));
    assert.equal(spool.size, 1);
  });
});

test('half-written and unreadable files are not taken for units', async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, 'unit-1-abc.json.1234.tmp'), '{"format":1,');
    await writeFile(join(dir, 'unit-2-def.json'), 'not json');
    const warnings: string[] = [];
    const spool = await Spool.open<Item>(dir, { maxBytes: 1 << 20, retryIntervalMs: 1000, onWarning: (m) => warnings.push(m) });
    assert.equal(spool.size, 0);
    assert.equal(warnings.length, 1);
    assert.deepEqual((await readdir(dir)).sort(), ['unit-2-def.json.unreadable']);
  });
});

test('one worker per spool folder', async () => {
  await withDir(async (dir) => {
    const unlock = await lockSpoolDir(dir);
    // Our own pid in the lock file counts as stale for a new process, so fake a live foreign one: the parent.
    await writeFile(join(dir, 'worker.lock'), String(process.ppid));
    await assert.rejects(lockSpoolDir(dir), /another ctjp worker/);
    await unlock();
    const again = await lockSpoolDir(dir);
    await again();
  });
});

test('the default spool lives in the user cache folder', () => {
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' }, 'linux'), '/x/cache/ctjp');
  assert.match(defaultCacheDir({}, 'linux'), /\.cache\/ctjp$/);
  assert.match(defaultCacheDir({ LOCALAPPDATA: 'C:\\Users\\a\\AppData\\Local' }, 'win32'), /ctjp/);
});
