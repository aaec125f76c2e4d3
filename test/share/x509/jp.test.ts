// The .jp decision and its byte-level prefilter.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isJpDnsName, jpNamesOf, mayCoverJp, parseLeaf } from '../../../src/share/x509/index.js';
import { loadRealCertificates, loadRealEntries } from '../../../tools/fixtures/ct-real.js';
import { buildCertificate, buildTbs, extension, precertLeaf, sanExtension, seq, tlv, x509Leaf, type StringType } from '../../helpers/der-builder.js';

test('isJpDnsName accepts .jp DNS names in every spelling', () => {
  for (const n of [
    'example.jp',
    'EXAMPLE.JP',
    'Www.Example.Co.Jp',
    'example.jp.',
    '*.example.co.jp',
    '*.jp',
    'jp',
    'JP.',
    '_acme-challenge.example.jp',
    'xn--r8jz45g.jp',
    'xn--eckwd4c7c.xn--r8jz45g.jp',
    '例え.jp',
    '例え。jp',
    'ｅｘａｍｐｌｅ．ｊｐ',
    'EXAMPLE.jp\u00ad',
  ]) {
    assert.equal(isJpDnsName(n), true, n);
  }
});

test('isJpDnsName refuses names that merely contain jp, URLs and e-mail addresses', () => {
  for (const n of [
    'jp.example.com',
    'example.jp.evil.com',
    'examplejp',
    'example.jpn',
    'example-jp',
    '?.jpmchase.net',
    'https://example.jp/',
    'http://example.jp',
    'example.jp/path',
    'user@example.jp',
    'mailto:user@example.jp',
    'example .jp',
    'example..jp',
    '.jp',
    '',
    'Example Corporation (jp)',
  ]) {
    assert.equal(isJpDnsName(n), false, n);
  }
});

test('jpNamesOf looks at SAN dNSNames and subject CNs, distinct and sorted', () => {
  assert.deepEqual(jpNamesOf(['b.jp', 'a.example.com', 'a.jp'], ['b.jp', 'c.co.jp']), ['a.jp', 'b.jp', 'c.co.jp']);
  assert.deepEqual(jpNamesOf(['example.com'], ['https://example.jp/']), []);
});

test('the prefilter passes every real .jp leaf and agrees with the README rule on each item', () => {
  for (const { expected: e, leafInput } of loadRealEntries()) {
    const leaf = parseLeaf(leafInput);
    assert.equal(leaf.coversJp, e.covers_jp, `${e.file}#${e.index_in_file}`);
    if (e.covers_jp) assert.equal(mayCoverJp(leafInput), true, `${e.file}#${e.index_in_file}`);
  }
  for (const { expected: e } of loadRealCertificates()) assert.equal((e.jp_names as string[]).length > 0, e.covers_jp, e.file);
});

test('the prefilter rejects most real non-.jp leaves', () => {
  const non = loadRealEntries().filter((x) => !x.expected.covers_jp);
  const passed = non.filter((x) => mayCoverJp(x.leafInput)).length;
  assert.ok(passed <= non.length / 10, `${passed} of ${non.length} non-.jp leaves passed the prefilter`);
});

// ------------------------------------------------------------ property: never a false "no"

const isAscii = (s: string) => [...s].every((ch) => ch.charCodeAt(0) < 0x80);
const caseMix = (s: string) =>
  fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }).map((up) => [...s].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''));
const asciiLabel = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?$/).chain(caseMix);
const unicodeLabel = fc
  .array(fc.constantFrom(...'例えばテスト日本語ｅｘａｍｐｌｅ東京大阪ドメイン'), { minLength: 1, maxLength: 5 })
  .map((cs) => cs.join(''));
const tld = fc.oneof(
  caseMix('jp'),
  fc.constantFrom('com', 'net', 'jpn', 'org', 'co.uk', 'jp.example.com', 'jp.evil.com', 'ｊｐ'),
);

/** Random DNS-ish names, many of them .jp in some spelling, some decoys. */
const dnsName = fc.oneof(
  fc
    .record({
      wildcard: fc.boolean(),
      labels: fc.array(fc.oneof({ weight: 4, arbitrary: asciiLabel }, { weight: 1, arbitrary: unicodeLabel }, { weight: 1, arbitrary: asciiLabel.map((l) => `xn--${l}`) }), {
        minLength: 0,
        maxLength: 3,
      }),
      sep: fc.constantFrom('.', '.', '.', '。', '．'),
      tld,
      trailingDot: fc.boolean(),
    })
    .map(({ wildcard, labels, sep, tld: t, trailingDot }) => (wildcard ? '*.' : '') + [...labels, t].join(labels.some((l) => !isAscii(l)) ? sep : '.') + (trailingDot ? '.' : '')),
  fc.constantFrom('jp', 'JP', 'jp.', 'examplejp', 'https://example.jp/', 'user@example.jp', 'a.jp0', 'a.jp1'),
);

const stringType = fc.constantFrom<StringType>('utf8', 'printable', 'ia5', 'bmp', 'teletex');

const leafCase = fc.record({
  sans: fc.array(dnsName, { maxLength: 4 }),
  cn: fc.option(dnsName),
  cnType: stringType,
  withIpAndEmail: fc.boolean(),
  trailingExtension: fc.boolean(),
  precert: fc.boolean(),
});

type LeafCase = typeof leafCase extends fc.Arbitrary<infer T> ? T : never;

function buildLeaf(c: LeafCase): Uint8Array {
  const cnType: StringType = c.cn !== null && !isAscii(c.cn) && c.cnType !== 'bmp' ? 'utf8' : c.cnType;
  const extra = c.withIpAndEmail ? [tlv(0x87, Uint8Array.of(192, 0, 2, 1)), tlv(0x81, Buffer.from('user@example.jp'))] : [];
  const extensions = [sanExtension(c.sans.map((n) => Buffer.from(n, 'utf8').toString('latin1')), extra)];
  if (c.trailingExtension) extensions.push(extension('2.5.29.19', seq()));
  const subject: [string, string, StringType][] = [['2.5.4.10', 'Org', 'utf8']];
  if (c.cn !== null) subject.push(['2.5.4.3', c.cn, cnType]);
  const tbs = buildTbs({ subject, extensions });
  return c.precert ? precertLeaf(tbs) : x509Leaf(buildCertificate(tbs));
}

test('property: the prefilter never rejects a leaf the full matcher accepts', () => {
  let jpCount = 0;
  fc.assert(
    fc.property(leafCase, (c) => {
      const leafInput = buildLeaf(c);
      const leaf = parseLeaf(leafInput);
      assert.equal(leaf.error, null);
      const expected = [...c.sans, ...(c.cn === null ? [] : [c.cn])].some(isJpDnsName);
      assert.equal(leaf.coversJp, expected);
      if (leaf.coversJp) {
        jpCount++;
        assert.equal(mayCoverJp(leafInput), true, JSON.stringify(c));
      }
    }),
    { numRuns: 3000 },
  );
  assert.ok(jpCount > 300, `only ${jpCount} generated leaves were .jp`);
});
