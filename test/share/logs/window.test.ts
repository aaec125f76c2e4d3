/**
 * Choosing the shards for a date window: the SC-081 validity schedule, the notAfter span of a
 * window, and the exact shards of Chrome's real list (test/data/log-lists/all_logs_list.json,
 * version 89.25) for this winter and the last.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseWindow } from '../../../src/manager-api/config.js';
import { loadLogListSync } from '../../../src/share/logs/log-list.js';
import { canHoldWindow, logsForWindow, maxValidityDays, notAfterSpan } from '../../../src/share/logs/window.js';

const CHROME = join(import.meta.dirname, '..', '..', 'data', 'log-lists', 'all_logs_list.json');
const at = (iso: string) => new Date(iso);
const chosen = (window: string, extraStates: ('pending' | 'rejected')[] = []) =>
  logsForWindow(loadLogListSync({ list: CHROME, extraStates }).catalogue.logs, parseWindow(window))
    .map((l) => l.name)
    .sort();

test('maximum validity by issuance date (BR §6.3.2 after SC-081): each step starts on its day, inclusive', () => {
  assert.equal(maxValidityDays(at('2025-12-01T00:00:00Z')), 398);
  assert.equal(maxValidityDays(at('2026-03-14T23:59:59.999Z')), 398);
  assert.equal(maxValidityDays(at('2026-03-15T00:00:00Z')), 200);
  assert.equal(maxValidityDays(at('2027-03-14T23:59:59.999Z')), 200);
  assert.equal(maxValidityDays(at('2027-03-15T00:00:00Z')), 100);
  assert.equal(maxValidityDays(at('2029-03-14T23:59:59.999Z')), 100);
  assert.equal(maxValidityDays(at('2029-03-15T00:00:00Z')), 47);
});

test('the notAfter span of a window: its first day to its last instant plus the maximum validity', () => {
  // Issued by 2027-01-31T23:59:59 at 200 days: notAfter < 2027-02-01 + 200 days = 2027-08-20.
  assert.deepEqual(notAfterSpan(parseWindow('2026-12-01/2027-01-31')), { start: at('2026-12-01T00:00:00Z'), end: at('2027-08-20T00:00:00Z') });
  // Issued by 2026-01-31T23:59:59 at 398 days: notAfter < 2026-02-01 + 398 days = 2027-03-06.
  assert.deepEqual(notAfterSpan(parseWindow('2025-12-01/2026-01-31')), { start: at('2025-12-01T00:00:00Z'), end: at('2027-03-06T00:00:00Z') });
  // Across a step the earlier part can reach further: issued 2026-03-14 at 398 days beats 2026-03-31 at 200.
  assert.deepEqual(notAfterSpan(parseWindow('2026-03-01/2026-03-31')), { start: at('2026-03-01T00:00:00Z'), end: at('2027-04-17T00:00:00Z') });
  assert.deepEqual(notAfterSpan(parseWindow('2027-03-15/2027-03-15')).end, at('2027-06-24T00:00:00Z'));
  // Half-open on both sides of the log's interval: touching is not overlapping.
  const w = parseWindow('2026-12-01/2027-01-31');
  assert.equal(canHoldWindow({ start: at('2026-07-01T00:00:00Z'), end: at('2026-12-01T00:00:00Z') }, w), false);
  assert.equal(canHoldWindow({ start: at('2026-07-01T00:00:00Z'), end: at('2026-12-01T00:00:01Z') }, w), true);
  assert.equal(canHoldWindow({ start: at('2027-08-20T00:00:00Z'), end: at('2028-01-01T00:00:00Z') }, w), false);
  assert.equal(canHoldWindow({ start: at('2027-08-19T23:59:59Z'), end: at('2028-01-01T00:00:00Z') }, w), true);
  assert.equal(canHoldWindow(null, w), true);
});

test("this winter, 2026-12-01/2027-01-31, on Chrome's list: every shard that takes notAfter in [2026-12-01, 2027-08-20)", () => {
  // In at the lower edge: the 2026h2 shards end on 2027-01-01, Let's Encrypt's 2026h2 shards on
  // 2026-12-16 (Willow) and 2026-12-17 (Sycamore): a certificate issued on 2026-12-01 for at most
  // 15 days expires inside them. In at the upper edge: the 2027h2 shards start between 2027-06-17
  // and 2027-07-01, before 2027-08-20, the notAfter of a 200-day certificate issued on 2027-01-31
  // (the 100-day limit only starts on 2027-03-15). Out: the 2026h1 shards, which end on 2026-07-01
  // (rejected too), and the 2028 shards (pending too), which start on 2028-01-01. Read-only
  // (Sectigo Mammoth/Sabre 2026h2) and retired (Let's Encrypt Oak2026h2) shards are in: they stop
  // taking certificates but keep what they hold. Checked independently on the JSON file.
  const expected = [
    'argon2026h2', 'argon2027h1', 'elephant2026h2', 'elephant2027h1', 'elephant2027h2', 'gouda2026h2', 'gouda2027h1', 'gouda2027h2',
    'halloumi2026h2a', 'halloumi2027h1', 'halloumi2027h2', 'hetu2027', 'log2026a', 'log2026b', 'luoshu2027', 'mammoth2026h2',
    'nimbus2026', 'nimbus2027', 'oak2026h2', 'parcelyard2026h2', 'parcelyard2027h1', 'parcelyard2027h2', 'plumbersarms2026h2',
    'plumbersarms2027h1', 'plumbersarms2027h2', 'sabre2026h2', 'sphinx2026h2', 'sphinx2027h1', 'sphinx2027h2', 'sycamore2026h2',
    'sycamore2027h1', 'sycamore2027h2', 'tiger2026h2', 'tiger2027h1', 'tiger2027h2', 'tuscolo2026h2', 'tuscolo2027h1', 'tuscolo2027h2',
    'willow2026h2', 'willow2027h1', 'willow2027h2', 'wyvern2026h2', 'wyvern2027h1', 'wyvern2027h2', 'xenon2026h2', 'xenon2027h1',
  ];
  assert.deepEqual(chosen('2026-12-01/2027-01-31'), expected);
  // Reading rejected and pending logs too adds only the pending shards that overlap (Geomys
  // Trastevere and Microsec Eszigno 2026h2–2027h2): the rejected 2026h1 shards end before the
  // notAfter span starts, and the 2028 shards begin after it ends.
  const withAll = chosen('2026-12-01/2027-01-31', ['pending', 'rejected']);
  assert.deepEqual(
    withAll.filter((n) => !expected.includes(n)),
    ['eszigno2026h2', 'eszigno2027h1', 'eszigno2027h2', 'trastevere2026h2', 'trastevere2027h1', 'trastevere2027h2'],
  );
  for (const n of ['argon2026h1', 'sycamore2026h1', 'tuscolo2028h1', 'gouda2028h1', 'eszigno2028h1']) assert.ok(!withAll.includes(n), n);
});

test("last winter, 2025-12-01/2026-01-31, on Chrome's list of August 2026: notAfter in [2025-12-01, 2027-03-06)", () => {
  // In at the upper edge: the 2027h1 shards start on 2026-12-16/17 (Let's Encrypt) or 2027-01-01,
  // before 2027-03-06, the notAfter of a 398-day certificate issued on 2026-01-31. Out: the 2027h2
  // shards, which start on 2027-06-17 or later. The 2026h1 shards, where most of that winter's
  // short-lived certificates went, are rejected in this list (their shards expired): left out
  // unless `rejected` is read, and the 2025 shards are no longer in Chrome's list at all.
  const expected = [
    'argon2026h2', 'argon2027h1', 'elephant2026h2', 'elephant2027h1', 'gouda2026h2', 'gouda2027h1', 'halloumi2026h2a', 'halloumi2027h1',
    'hetu2027', 'log2026a', 'log2026b', 'luoshu2027', 'mammoth2026h2', 'nimbus2026', 'nimbus2027', 'oak2026h2', 'parcelyard2026h2',
    'parcelyard2027h1', 'plumbersarms2026h2', 'plumbersarms2027h1', 'sabre2026h2', 'sphinx2026h2', 'sphinx2027h1', 'sycamore2026h2',
    'sycamore2027h1', 'tiger2026h2', 'tiger2027h1', 'tuscolo2026h2', 'tuscolo2027h1', 'willow2026h2', 'willow2027h1', 'wyvern2026h2',
    'wyvern2027h1', 'xenon2026h2', 'xenon2027h1',
  ];
  assert.deepEqual(chosen('2025-12-01/2026-01-31'), expected);
  const rejectedToo = chosen('2025-12-01/2026-01-31', ['rejected']);
  assert.deepEqual(
    rejectedToo.filter((n) => !expected.includes(n)),
    ['argon2026h1', 'elephant2026h1', 'gouda2026h1', 'halloumi2026h1', 'mammoth2026h1', 'oak2026h1', 'sabre2026h1', 'sphinx2026h1', 'sycamore2026h1', 'tiger2026h1', 'tuscolo2026h1', 'willow2026h1', 'wyvern2026h1', 'xenon2026h1'],
  );
});
