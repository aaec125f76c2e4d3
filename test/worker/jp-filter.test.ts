import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leafCoversJp } from '../../src/worker/jp-filter.js';
import { loadRealEntries } from '../../tools/fixtures/ct-real.js';

test('the .jp decision matches expected.json for every real leaf', () => {
  const wrong: string[] = [];
  for (const e of loadRealEntries()) {
    if (leafCoversJp(e.leafInput) !== (e.expected.covers_jp === true)) wrong.push(`${e.expected.file}#${e.expected.index_in_file}`);
  }
  assert.deepEqual(wrong, []);
});
