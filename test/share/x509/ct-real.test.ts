// Every expected field of the real CT test data (test/data/ct-real/expected.json), item by item.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadRealCertificates, loadRealEntries, type ExpectedItem } from '../../../tools/fixtures/ct-real.js';
import { jpNamesOf, parseCertificate, parseLeaf, type CertificateFields } from '../../../src/share/x509/index.js';

const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');

function checkFields(f: CertificateFields, e: ExpectedItem, where: string): void {
  const expectedFields: [string, unknown, unknown][] = [
    ['sha256', f.sha256, e.sha256],
    ['tbs_sha256', f.tbsSha256, e.tbs_sha256],
    ['subject_dn', f.subjectDn, e.subject_dn],
    ['issuer_dn', f.issuerDn, e.issuer_dn],
    ['cn', f.commonName, e.cn],
    ['cn_all', f.commonNames, e.cn_all],
    ['issuer_cn', f.issuerCommonName, e.issuer_cn],
    ['san_dns', f.sanDns, e.san_dns],
    ['serial_hex', f.serialHex, e.serial_hex],
    ['not_before', iso(f.notBefore), e.not_before],
    ['not_after', iso(f.notAfter), e.not_after],
    ['spki_sha256', f.spkiSha256, e.spki_sha256],
    ['key_type', f.keyAlgorithm, e.key_type],
    ['key_size', f.keySize, e.key_size],
    ['ec_curve', f.ecCurve, e.ec_curve ?? null],
    ['has_crl_distribution_points', f.hasCrlDistributionPoints, e.has_crl_distribution_points],
    ['crl_urls', f.crlUrls, e.crl_urls],
    ['policy_oids', f.policyOids, e.policy_oids],
    ['extension_oids', f.extensionOids, e.extension_oids],
    ['is_ca', f.isCa, e.is_ca],
    ['has_ct_poison', f.hasCtPoison, e.has_ct_poison],
    ['has_embedded_scts', f.hasEmbeddedScts, e.has_embedded_scts],
  ];
  for (const [name, actual, expected] of expectedFields) assert.deepEqual(actual, expected, `${where}: ${name}`);
}

const entries = loadRealEntries();
const certs = loadRealCertificates();

test('the test data holds 163 leaves and 9 certificates', () => {
  assert.equal(entries.length, 163);
  assert.equal(certs.length, 9);
});

test('every expected field of every log leaf matches (parseLeaf)', () => {
  for (const { expected: e, leafInput } of entries) {
    const where = `${e.file}#${e.index_in_file}`;
    const leaf = parseLeaf(leafInput);
    assert.equal(leaf.error, null, where);
    assert.ok(leaf.fields, where);
    assert.equal(leaf.entryType, e.entry_type, where);
    assert.equal(leaf.timestamp, e.leaf_timestamp_ms, where);
    assert.equal(leaf.leafHash.toString('hex'), e.leaf_hash_sha256, where);
    assert.equal(leaf.issuerKeyHash ? Buffer.from(leaf.issuerKeyHash).toString('hex') : undefined, e.issuer_key_hash, where);
    checkFields(leaf.fields, e, where);
    assert.equal(leaf.coversJp, e.covers_jp, `${where}: covers_jp`);
    assert.deepEqual(leaf.jpNames, e.jp_names, `${where}: jp_names`);
  }
});

test('every expected field of every stand-alone certificate matches (parseCertificate)', () => {
  for (const { expected: e, der } of certs) {
    const where = e.file;
    const f = parseCertificate(der, 'certificate');
    checkFields(f, e, where);
    const jpNames = jpNamesOf(f.sanDns, f.commonNames);
    assert.deepEqual(jpNames, e.jp_names, `${where}: jp_names`);
    assert.equal(jpNames.length > 0, e.covers_jp, `${where}: covers_jp`);
  }
});
