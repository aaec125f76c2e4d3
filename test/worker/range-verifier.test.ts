import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RangeVerification } from '../../src/share/ct/index.js';
import { leaseVerification } from '../../src/worker/lease-verification.js';

const verified = (start: number, end: number, treeSize = 1000, signed = true): RangeVerification => ({ state: 'verified', start, end, treeSize, signed });

test('a lease is verified only when verified scans cover every index; any failed scan fails it', () => {
  assert.deepEqual(leaseVerification(0, 99, [verified(0, 99)]), { state: 'verified', tree_size: 1000, signed: true });
  // A scan restarted from the confirmed position overlaps the first one.
  assert.deepEqual(leaseVerification(0, 99, [verified(0, 60, 900), verified(41, 99, 1000, false)]), { state: 'verified', tree_size: 1000, signed: false });
  assert.deepEqual(leaseVerification(0, 99, [verified(0, 40), verified(42, 99)]), { state: 'unverified', reason: 'entries 41-99 were not proven' });
  assert.deepEqual(leaseVerification(0, 99, [{ state: 'unverified', start: 0, end: 99, reason: 'no inclusion proof for entry 0: HTTP 404' }]), {
    state: 'unverified',
    reason: 'no inclusion proof for entry 0: HTTP 404',
  });
  assert.deepEqual(leaseVerification(0, 99, []), { state: 'unverified', reason: 'entries 0-99 were not proven' });
  const failed = leaseVerification(0, 99, [verified(0, 50), { state: 'failed', start: 51, end: 99, reason: 'x'.repeat(600) }]);
  assert.equal(failed.state, 'failed');
  assert.equal(failed.reason!.length, 500);
});
