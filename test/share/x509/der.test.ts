// The lean DER reader's building blocks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CtDecodeError } from '../../../src/share/ct/index.js';
import { decodeOid, decodeString, decodeTime, integerHex, readTlv, unsignedBitLength } from '../../../src/share/x509/der.js';
import { escapeDnValue } from '../../../src/share/x509/names.js';

const b = (hex: string) => Buffer.from(hex.replace(/\s/g, ''), 'hex');

test('readTlv checks every length against its parent', () => {
  assert.deepEqual(readTlv(b('300100'), 0, 3, 't'), { tag: 0x30, start: 0, body: 2, end: 3 });
  assert.throws(() => readTlv(b('300500'), 0, 3, 't'), CtDecodeError); // overruns the buffer
  assert.throws(() => readTlv(b('30020000'), 0, 3, 't'), CtDecodeError); // overruns the parent limit
  assert.throws(() => readTlv(b('3080'), 0, 2, 't'), CtDecodeError); // indefinite length
  assert.throws(() => readTlv(b('3085ffffffffff'), 0, 7, 't'), CtDecodeError); // 5-byte length
  assert.throws(() => readTlv(b('1f2200'), 0, 3, 't'), CtDecodeError); // multi-byte tag
  assert.throws(() => readTlv(b('30'), 0, 1, 't'), CtDecodeError);
});

test('strict mode refuses non-minimal lengths, lenient mode reads them', () => {
  const buf = b('3081 03 010203');
  assert.throws(() => readTlv(buf, 0, buf.length, 't', true), /non-minimal/);
  assert.deepEqual(readTlv(buf, 0, buf.length, 't', false), { tag: 0x30, start: 0, body: 3, end: 6 });
});

test('OIDs', () => {
  const oid = b('2a864886f70d01010b');
  assert.equal(decodeOid(oid, 0, oid.length, 'o'), '1.2.840.113549.1.1.11');
  assert.equal(decodeOid(b('550403'), 0, 3, 'o'), '2.5.4.3');
  assert.equal(decodeOid(b('8837'), 0, 2, 'o'), '2.999');
  assert.throws(() => decodeOid(b('2a86'), 0, 2, 'o'), CtDecodeError);
  assert.throws(() => decodeOid(b('2a8001'), 0, 3, 'o'), CtDecodeError);
  assert.throws(() => decodeOid(b(''), 0, 0, 'o'), CtDecodeError);
});

test('times: RFC 5280 forms strictly, old CA forms leniently', () => {
  const t = (s: string, tag: number, strict: boolean) => decodeTime(Buffer.from(s), tag, 0, s.length, strict)?.toISOString() ?? null;
  assert.equal(t('250101120000Z', 0x17, true), '2025-01-01T12:00:00.000Z');
  assert.equal(t('491231235959Z', 0x17, true), '2049-12-31T23:59:59.000Z');
  assert.equal(t('500101000000Z', 0x17, true), '1950-01-01T00:00:00.000Z');
  assert.equal(t('20500101000000Z', 0x18, true), '2050-01-01T00:00:00.000Z');
  assert.equal(t('2501011200Z', 0x17, true), null);
  assert.equal(t('2501011200Z', 0x17, false), '2025-01-01T12:00:00.000Z');
  assert.equal(t('250101120000+0900', 0x17, false), '2025-01-01T03:00:00.000Z');
  assert.equal(t('20250101120000.5Z', 0x18, false), '2025-01-01T12:00:00.500Z');
  assert.equal(t('251301120000Z', 0x17, false), null);
  assert.equal(t('hello', 0x17, false), null);
});

test('integers and key sizes', () => {
  assert.equal(integerHex(b('00ff01'), 0, 3), 'ff01');
  assert.equal(integerHex(b('0a'), 0, 1), 'a');
  assert.equal(integerHex(b('0000'), 0, 2), '0');
  assert.equal(unsignedBitLength(b('00c0' + '00'.repeat(255)), 0, 257), 2048);
  assert.equal(unsignedBitLength(b('01'), 0, 1), 1);
});

test('string types', () => {
  const s = (tag: number, hex: string) => decodeString(b(hex), tag, 0, hex.length / 2);
  assert.deepEqual(s(0x0c, Buffer.from('東京').toString('hex')), { text: '東京', valid: true });
  assert.deepEqual(s(0x0c, 'ff'), { text: '\ufffd', valid: false });
  assert.deepEqual(s(0x1e, '6771004a0050'), { text: '東JP', valid: true });
  assert.deepEqual(s(0x1c, '00006771'), { text: '東', valid: true });
  assert.deepEqual(s(0x13, '6a70'), { text: 'jp', valid: true });
  assert.deepEqual(s(0x16, 'e9'), { text: 'é', valid: false });
  assert.equal(s(0x04, '00'), null);
});

test('RFC 4514 escaping', () => {
  assert.equal(escapeDnValue('GoDaddy.com, Inc.'), 'GoDaddy.com\\, Inc.');
  assert.equal(escapeDnValue('#x'), '\\#x');
  assert.equal(escapeDnValue(' a '), '\\ a\\ ');
  assert.equal(escapeDnValue('a+b;c<d>e"f\\g'), 'a\\+b\\;c\\<d\\>e\\"f\\\\g');
  assert.equal(escapeDnValue('株式会社'), '株式会社');
});
