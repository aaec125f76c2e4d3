// The cases of test/data/ct-real/README.md ("Cases worth a test of their own"), and the lenient path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeExtraData } from '../../../src/share/ct/index.js';
import { certificateIdentity, jpNamesOf, mayCoverJp, parseCertificate, parseLeaf } from '../../../src/share/x509/index.js';
import { loadRealCertificates, loadRealEntries, type RealEntry } from '../../../tools/fixtures/ct-real.js';
import { EC_SPKI, buildCertificate, buildTbs, extension, oid, precertLeaf, sanExtension, seq, tlv, x509Leaf } from '../../helpers/der-builder.js';

const entries = loadRealEntries();
const certs = loadRealCertificates();
const entry = (fileEnd: string, index = 0): RealEntry => {
  const found = entries.find((x) => x.expected.file.endsWith(fileEnd) && x.expected.index_in_file === index);
  assert.ok(found, `${fileEnd}#${index} is in the test data`);
  return found;
};
const cert = (fileEnd: string) => {
  const found = certs.find((x) => x.expected.file.endsWith(fileEnd));
  assert.ok(found, fileEnd);
  return parseCertificate(found.der, 'certificate');
};
const XENON2023 = 'xenon2023_ct_v1_get-entries_start_1760_end_1791_jp.json';

test('precert leaves issued through a precertificate signing certificate name the real CA', () => {
  for (const i of [2, 5, 11, 17, 23, 24, 25, 26]) {
    const { leafInput, extraData } = entry(XENON2023, i);
    const leaf = parseLeaf(leafInput);
    const chain = decodeExtraData('precert_entry', extraData).chain;
    const signer = parseCertificate(chain[0], 'certificate');
    const realIssuer = parseCertificate(chain[1], 'certificate');
    assert.ok(signer.extensionOids.length > 0 && signer.subjectDn !== leaf.fields!.issuerDn, `entry ${i}: chain[0] is not the named issuer`);
    assert.equal(leaf.fields!.issuerDn, realIssuer.subjectDn, `entry ${i}`);
    assert.equal(Buffer.from(leaf.issuerKeyHash!).toString('hex'), realIssuer.spkiSha256, `entry ${i}: issuer_key_hash is the real CA's`);
  }
});

test('a precert entry whose extra_data belongs to another certificate: the leaf says google.com, the identities differ', () => {
  const { leafInput, extraData } = entry('scrape-ct-log-precert-entry.json');
  const leaf = parseLeaf(leafInput);
  assert.equal(leaf.fields!.commonName, 'google.com');
  assert.deepEqual(leaf.fields!.sanDns, ['google.com']);
  const extra = decodeExtraData('precert_entry', extraData);
  const precert = parseCertificate(extra.precertificate!, 'certificate');
  assert.notEqual(precert.serialHex, leaf.fields!.serialHex);
  assert.notDeepEqual(certificateIdentity(precert), certificateIdentity(leaf.fields!));
});

test('.jp only in the SAN, not in the CN', () => {
  const hit = entries.map((x) => parseLeaf(x.leafInput)).find((l) => l.fields!.commonName === 'sni289begl.wpc.edgecastcdn.net');
  assert.ok(hit);
  assert.equal(hit.coversJp, true);
  assert.deepEqual(hit.jpNames, ['www.bishopmuseum.jp']);
});

test('no subject CN at all (Xenon2023 test certificates)', () => {
  const leaf = parseLeaf(entry(XENON2023, 3).leafInput);
  assert.equal(leaf.fields!.commonName, null);
  assert.deepEqual(leaf.fields!.commonNames, []);
  assert.match(leaf.fields!.subjectDn, /^2\.5\.4\.5=\d+,O=Google Certificate Transparency,L=London,C=GB$/);
  assert.deepEqual(leaf.fields!.sanDns, ['flowers-to-the-world.com']);
});

test('issuer without a CN: the CA is still known from its O', () => {
  const f = parseLeaf(entry('single/issuer-without-cn.json').leafInput).fields!;
  assert.equal(f.issuerCommonName, null);
  assert.equal(f.issuerOrganization, 'Chunghwa Telecom Co., Ltd.');
  assert.equal(f.issuerDn, 'OU=Public Certification Authority - G2,O=Chunghwa Telecom Co.\\, Ltd.,C=TW');
});

test('several subject CNs: the first in DER order is the CN, all count for .jp', () => {
  const f = cert('ct-python-multiple_cn.pem');
  assert.equal(f.commonNames.length, 6);
  assert.equal(f.commonName, f.commonNames[0]);
  assert.equal(f.commonName, 'www.rd.io');
  assert.deepEqual(jpNamesOf(['x.example.com'], ['a.example.com', 'b.example.jp']), ['b.example.jp']);
});

test('Japanese subject attributes stay UTF-8 in the DN', () => {
  const f = cert('ct-python-ecdsa_cert.pem');
  assert.match(f.subjectDn, /O=株式会社ディレクターズ/);
  assert.match(f.subjectDn, /L=渋谷区,ST=東京都/);
  assert.equal(f.subjectOrganization, '株式会社ディレクターズ');
  assert.deepEqual(jpNamesOf(f.sanDns, f.commonNames), ['kmonos.jp']);
  assert.equal(f.validationLevel, 'EV');
});

test('Japanese organisations without a .jp name are not .jp (an xn-- SAN under .org included)', () => {
  for (const file of ['ct-python-user_notice.pem', 'zlint-ecdsaP384InvalidKUs.pem']) {
    const f = cert(file);
    assert.equal(f.subjectDn.endsWith(',C=JP'), true, file);
    assert.deepEqual(jpNamesOf(f.sanDns, f.commonNames), [], file);
  }
  assert.ok(cert('zlint-ecdsaP384InvalidKUs.pem').sanDns.includes('xn--u8jta7e.naregi.org'));
});

test('extensions some libraries refuse: the lenient pass still gives names, dates and serial', () => {
  const cases: [string, RegExp, string][] = [
    ['nimbus2026-2680-invalid-utf8-visiblestring.json', /ocspNoCheck/, '3f14'],
    ['basic-constraints-ca-false-with-pathlen.json', /pathLenConstraint without cA/, '3030303030303030303030303030303134393933'],
  ];
  for (const [file, reason, serial] of cases) {
    const leaf = parseLeaf(entry(file).leafInput);
    assert.equal(leaf.error, null, file);
    const f = leaf.fields!;
    assert.equal(f.parseMode, 'lenient', file);
    assert.ok(f.parseNotes.some((n) => reason.test(n)), `${file}: ${f.parseNotes.join('; ')}`);
    assert.equal(f.serialHex, serial);
    assert.ok(f.subjectDn.length > 0 && f.issuerDn.length > 0 && f.notBefore < f.notAfter, file);
  }
});

test('every other real item parses strictly', () => {
  for (const { expected: e, leafInput } of entries) {
    if (e.file.includes('nimbus2026-2680') || e.file.includes('basic-constraints-ca-false')) continue;
    assert.equal(parseLeaf(leafInput).fields!.parseMode, 'strict', `${e.file}#${e.index_in_file}`);
  }
});

test('a CA certificate logged as an x509 entry', () => {
  const f = parseLeaf(entry('ca-certificate-ssc-lt.json').leafInput).fields!;
  assert.equal(f.isCa, true);
  assert.equal(f.validationLevel, 'unknown');
  assert.equal(f.signatureAlgorithm, '1.2.840.113549.1.1.5');
});

test('key types: RSA 1024/2048/4096 and EC P-256/P-384 all occur and are read', () => {
  const seen = new Set(entries.map((x) => parseLeaf(x.leafInput).fields!).map((f) => `${f.keyAlgorithm} ${f.keySize} ${f.ecCurve}`));
  for (const k of ['RSA 1024 null', 'RSA 2048 null', 'RSA 4096 null', 'EC 256 secp256r1', 'EC 384 secp384r1']) {
    assert.ok(seen.has(k) || certs.some((c) => {
      const f = parseCertificate(c.der, 'certificate');
      return `${f.keyAlgorithm} ${f.keySize} ${f.ecCurve}` === k;
    }), k);
  }
});

test('features: validation level from CA/B Forum OIDs, wildcard, SAN count, validity days, CRL, SCTs', () => {
  const le = parseLeaf(entry('le-e6-wildcard-embedded-scts.json').leafInput).fields!;
  assert.equal(le.isWildcard, true);
  assert.equal(le.hasEmbeddedScts, true);
  assert.equal(le.validationLevel, 'DV');
  assert.equal(le.validityDays, 90);
  assert.equal(le.sanCount, le.sanDns.length);
  const ev = parseLeaf(entry('single/ev-recruit.json').leafInput).fields!;
  assert.equal(ev.validationLevel, 'EV');
  assert.equal(ev.hasCtPoison, false); // a precert leaf's TBS has the poison removed
  const ov = parseLeaf(entry('single/ov-www.toyo-integration.co.jp.json').leafInput).fields!;
  assert.equal(ov.validationLevel, 'OV');
  assert.equal(ov.hasCrlDistributionPoints, true);
  // no CA/B OID: inferred from the subject
  assert.equal(parseCertificate(buildCertificate(buildTbs({ subject: [['2.5.4.10', 'Org KK'], ['2.5.4.3', 'a.jp']] })), 'certificate').validationLevel, 'OV');
  assert.equal(parseCertificate(buildCertificate(buildTbs({ subject: [['2.5.4.3', 'a.jp']] })), 'certificate').validationLevel, 'DV');
});

test('IP and e-mail SANs are kept apart from dNSNames and never make a leaf .jp', () => {
  const tbs = buildTbs({
    subject: [['2.5.4.3', 'example.com']],
    extensions: [sanExtension(['example.com'], [tlv(0x87, Uint8Array.of(192, 0, 2, 1)), tlv(0x87, Buffer.alloc(16, 1)), tlv(0x81, Buffer.from('user@example.jp'))])],
  });
  const leaf = parseLeaf(precertLeaf(tbs));
  assert.deepEqual(leaf.fields!.sanDns, ['example.com']);
  assert.deepEqual(leaf.fields!.sanIp, ['192.0.2.1', '101:101:101:101:101:101:101:101']);
  assert.deepEqual(leaf.fields!.sanEmail, ['user@example.jp']);
  assert.equal(leaf.fields!.sanCount, 4);
  assert.equal(leaf.coversJp, false);
});

// ------------------------------------------------------------------ lenient path

test('non-minimal lengths and odd times: lenient, fields kept', () => {
  // UTCTime without seconds, and a long-form length where the short form was due.
  const validity = seq(tlv(0x17, Buffer.from('2501010000Z')), tlv(0x17, Buffer.from('250331235959Z')));
  const parts = [
    tlv(0xa0, Uint8Array.of(0x02, 0x01, 0x02)),
    Uint8Array.of(0x02, 0x02, 0x01, 0x23),
    seq(oid('1.2.840.10045.4.3.2')),
    seq(Uint8Array.of(0x31, 0x81, 0x0b), seq(oid('2.5.4.6'), tlv(0x13, Buffer.from('US')))), // non-minimal SET length
    validity,
    seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from('odd.example.jp'))))),
  ];
  const odd = seq(...parts, EC_SPKI, tlv(0xa3, seq(sanExtension(['odd.example.jp']))));
  const leaf = parseLeaf(precertLeaf(odd));
  assert.equal(leaf.error, null);
  assert.equal(leaf.fields!.parseMode, 'lenient');
  assert.equal(leaf.fields!.notBefore.toISOString(), '2025-01-01T00:00:00.000Z');
  assert.equal(leaf.fields!.serialHex, '123');
  assert.equal(leaf.fields!.issuerDn, 'C=US');
  assert.equal(leaf.coversJp, true);
});

test('a SAN extension that cannot be read: names unsure, the prefilter decides, nothing dropped', () => {
  const badSan = extension('2.5.29.17', seq(tlv(0x82, Buffer.from('broken.example.jp')), Uint8Array.of(0x05, 0x00)));
  const leafInput = precertLeaf(buildTbs({ subject: [['2.5.4.3', 'example.com']], extensions: [badSan] }));
  const leaf = parseLeaf(leafInput);
  assert.equal(leaf.error, null);
  assert.equal(leaf.fields!.parseMode, 'lenient');
  assert.equal(leaf.fields!.dnsNamesComplete, false);
  assert.ok(leaf.fields!.parseNotes.some((n) => n.includes('2.5.29.17')));
  assert.equal(mayCoverJp(leafInput), true);
  assert.equal(leaf.coversJp, true);
});

test('an unparsable certificate is reported with its reason, and kept when it may be .jp', () => {
  const tbs = Buffer.from(buildTbs({ subject: [['2.5.4.3', 'lost.example.jp']], extensions: [sanExtension(['lost.example.jp'])] }));
  // Break the serial number's tag: no pass can read the TBS any more.
  const broken = Buffer.from(tbs);
  broken[broken.indexOf(Buffer.from([0x02, 0x04, 0x0a, 0x1b]))] = 0x05;
  const leaf = parseLeaf(precertLeaf(broken));
  assert.equal(leaf.fields, null);
  assert.match(leaf.error!, /serialNumber/);
  assert.equal(leaf.coversJp, true);
  assert.deepEqual(leaf.jpNames, ['lost.example.jp']);
  // The same damage on a non-.jp certificate is reported but not kept.
  const other = Buffer.from(buildTbs({ subject: [['2.5.4.3', 'example.com']] }));
  other[other.indexOf(Buffer.from([0x02, 0x04, 0x0a, 0x1b]))] = 0x05;
  const otherLeaf = parseLeaf(x509Leaf(buildCertificate(other)));
  assert.ok(otherLeaf.error);
  assert.equal(otherLeaf.coversJp, false);
});
