// The names the manager indexes for the domain look-up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coveredDnsNames, coveredDnsNamesOfRow } from '../../../src/share/x509/index.js';

test('coveredDnsNames: SAN names and a DNS-name CN, normalised, distinct and sorted; wildcards kept', () => {
  assert.deepEqual(coveredDnsNames(['WWW.Example.JP.', 'www.example.jp', '*.Example.jp'], 'Example.JP'), ['*.example.jp', 'example.jp', 'www.example.jp']);
  // Unicode names become A-labels; strings that are not DNS-shaped are left out.
  assert.deepEqual(coveredDnsNames(['例え.jp', 'https://x.jp/', 'a b.jp', ''], null), ['xn--r8jz45g.jp']);
  // A CN that names an organisation or a single host label is not a DNS name here.
  assert.deepEqual(coveredDnsNames([], 'Example Corp'), []);
  assert.deepEqual(coveredDnsNames([], 'localhost'), []);
  assert.deepEqual(coveredDnsNames(['localhost'], null), ['localhost']);
  assert.deepEqual(coveredDnsNames([`${'a'.repeat(251)}.jp`], null), []); // 254 characters
});

test('coveredDnsNamesOfRow: the stored san_dns JSON; a value that is not an array of strings adds no SAN name', () => {
  assert.deepEqual(coveredDnsNamesOfRow('["A.example.jp","b.example.jp."]', 'c.example.jp'), ['a.example.jp', 'b.example.jp', 'c.example.jp']);
  assert.deepEqual(coveredDnsNamesOfRow('not json', 'c.example.jp'), ['c.example.jp']);
  assert.deepEqual(coveredDnsNamesOfRow('{"a":1}', null), []);
  assert.deepEqual(coveredDnsNamesOfRow('["x.jp", 3, null]', null), ['x.jp']);
});
