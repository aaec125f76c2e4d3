import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CtDecodeError, decodeBase64 } from '../../../src/share/ct/index.js';

const strict = (s: string): boolean => s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
const accepts = (s: string): boolean => {
  try {
    decodeBase64(s, 'x');
    return true;
  } catch (err) {
    assert.ok(err instanceof CtDecodeError);
    return false;
  }
};

test('decodeBase64 accepts exactly strict base64, whatever Node would decode', () => {
  // Characters Node's decoder takes or skips that strict base64 refuses, padding in odd places, and
  // a character whose low byte is a base64 letter.
  const alphabet = ['A', 'Q', 'g', 'w', '0', '+', '/', '=', '-', '_', '*', ' ', '\n', '\u0141', '\u{1F600}'];
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  let agreedAccept = 0;
  for (let i = 0; i < 50_000; i++) {
    const len = next(13);
    let s = '';
    for (let j = 0; j < len; j++) s += alphabet[next(8) === 0 ? next(alphabet.length) : next(7)];
    if (next(3) === 0) s += '='.repeat(next(3));
    assert.equal(accepts(s), strict(s), JSON.stringify(s));
    if (strict(s)) agreedAccept++;
  }
  assert.ok(agreedAccept > 1000, 'the sample holds many valid strings too');
  // Valid but not canonical (unused low bits set): accepted, decoded as Node decodes it.
  assert.deepEqual(decodeBase64('QR==', 'x'), Buffer.from('A'));
  assert.throws(() => decodeBase64('QQ', 'leaf'), /leaf: not valid base64/);
  assert.throws(() => decodeBase64(7 as unknown as string, 'leaf'), /leaf: not valid base64/);
});
