import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeafStore, leafFileName } from '../../src/manager-api/ingest/leaf-store.js';

test('leaf files are named from the log URL, sanitised', () => {
  assert.equal(leafFileName('https://ct.googleapis.com/logs/us1/argon2025h1/'), 'ct.googleapis.com_logs_us1_argon2025h1.leaves');
  assert.equal(leafFileName('http://127.0.0.1:8443/../x?y=1'), '127.0.0.1_8443_x.leaves');
});

test('two stores (two manager processes) append whole lines to one file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctjp-leaves-'));
  try {
    const a = new LeafStore(dir);
    const b = new LeafStore(dir);
    const url = 'https://log.example/x/';
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).append(url, [{ index: i, leafInput: 'A'.repeat(5000 + i) }, { index: 1000 + i, leafInput: 'B' }])),
    );
    await Promise.all([a.close(), b.close()]);
    const lines = readFileSync(join(dir, leafFileName(url)), 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 100);
    for (const line of lines) assert.match(line, /^\d+\t(A{5000,}|B)$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
