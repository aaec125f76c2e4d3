import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fill, formatCount, formatDuration, formatPercent, formatRate, formatUtcMinute } from '../../src/manager-ui/app/format.js';
import { initialLang, translator } from '../../src/manager-ui/app/i18n.js';

const en = translator('en');
const ja = translator('ja');

test('durations show their two largest units', () => {
  assert.equal(formatDuration(0, en), '0 s');
  assert.equal(formatDuration(59.4, en), '59 s');
  assert.equal(formatDuration(3600 * 26 + 120, en), '1 d 2 h');
  assert.equal(formatDuration(3600 + 5, en), '1 h', 'a zero second unit is not shown');
  assert.equal(formatDuration(725, ja), '12 分 5 秒');
  assert.equal(formatDuration(Number.NaN, en), 'unknown');
});

test('percentages never round unfinished work to 100% or started work to 0%', () => {
  assert.equal(formatPercent(0.5), '50.0%');
  assert.equal(formatPercent(0.00001), '<0.1%');
  assert.equal(formatPercent(0.99999), '>99.9%');
  assert.equal(formatPercent(1), '100.0%');
  assert.equal(formatPercent(Number.NaN), '–');
});

test('counts and rates use the language locale', () => {
  assert.equal(formatCount(1234567, 'en'), '1,234,567');
  assert.equal(formatRate(2.25, 'en', en), '2.3 /s');
  assert.equal(formatRate(0, 'ja', ja), '0 /秒');
});

test('the language is the stored choice, else Japanese for Japanese browsers, else English', () => {
  assert.equal(initialLang('en', ['ja-JP']), 'en');
  assert.equal(initialLang(null, ['ja-JP', 'en']), 'ja');
  assert.equal(initialLang('xx', ['de-DE']), 'en');
});

test('templates get every named value, and only those; manager times are shown to the minute in UTC', () => {
  assert.equal(fill('{n} of {size} ({n})', { n: '3', size: '7' }), '3 of 7 (3)');
  assert.equal(fill('{friend} and {other}', { friend: '$& {other}' }), '$& {other} and {other}', 'a value is put in literally, never read as a pattern or template');
  assert.equal(formatUtcMinute('2026-01-10T14:05:59.999Z'), '2026-01-10 14:05 UTC');
  assert.equal(formatUtcMinute('not a time'), '–');
});
