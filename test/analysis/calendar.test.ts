import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedShares, jstDate, jstTime } from '../../src/analysis/calendar.js';

test('JST day classes: weekend, weekday holiday, New Year closure, business hours', () => {
  // 2025-01-01 (Wed, holiday, closure) 10:00 JST
  const ny = jstTime(Date.UTC(2025, 0, 1, 1));
  assert.deepEqual([jstDate(Date.UTC(2025, 0, 1, 1)), ny.dayClass, ny.closure, ny.businessHours], ['2025-01-01', 'holiday', true, false]);
  // 2024-12-30 (Mon, not a holiday, closure)
  const c = jstTime(Date.UTC(2024, 11, 30, 1));
  assert.deepEqual([c.dayClass, c.closure, c.businessHours], ['weekday', true, false]);
  // 2025-03-07 23:30 UTC is Saturday 08:30 JST
  const s = jstTime(Date.UTC(2025, 2, 7, 23, 30));
  assert.deepEqual([jstDate(Date.UTC(2025, 2, 7, 23, 30)), s.weekday, s.hour, s.dayClass], ['2025-03-08', 5, 8, 'weekend']);
  // 2025-03-10 Mon 10:00 JST
  assert.equal(jstTime(Date.UTC(2025, 2, 10, 1)).businessHours, true);
});

test('expected shares under uniform issuance come from the calendar of the period (anchors §4.4, 2025)', () => {
  const e = expectedShares(Date.UTC(2024, 11, 31, 15), Date.UTC(2025, 11, 31, 15));
  assert.equal(Math.round(e.days), 365);
  assert.equal(Math.round(e.weekend * 1000) / 10, 28.5);
  assert.equal(Math.round(e.holiday * 365), 15);
  assert.equal(Math.round(e.non_business * 1000) / 10, 32.6);
  assert.equal(Math.round(e.government_non_working * 1000) / 10, 34.0);
});

test('jstTime agrees with Intl (Asia/Tokyo) on weekday, hour and day of month over many instants', () => {
  const fmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', weekday: 'short', hour: '2-digit', hourCycle: 'h23', day: '2-digit', month: '2-digit' });
  const names = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  for (let t = Date.UTC(1999, 11, 25); t < Date.UTC(2031, 0, 10); t += 7_777_777) {
    const p = Object.fromEntries(fmt.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
    const j = jstTime(t);
    assert.deepEqual([names[j.weekday], j.hour, j.dayOfMonth], [p.weekday, Number(p.hour), Number(p.day)], new Date(t).toISOString());
    assert.equal(j.closure, (p.month === '12' && Number(p.day) >= 29) || (p.month === '01' && Number(p.day) <= 3));
  }
});
