// The lean DER parser against the reference library (@peculiar/asn1-x509 + Node's OpenSSL for keys),
// field by field, on every real test item.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMerkleTreeLeaf } from '../../../src/share/ct/index.js';
import { parseCertificate } from '../../../src/share/x509/index.js';
import { loadRealCertificates, loadRealEntries } from '../../../tools/fixtures/ct-real.js';
import { referenceFields } from '../../../tools/fixtures/x509-reference.js';

const KEY_OIDS: Record<string, string> = { RSA: '1.2.840.113549.1.1.1', EC: '1.2.840.10045.2.1' };

function items(): { where: string; der: Uint8Array; kind: 'certificate' | 'tbs' }[] {
  const out: { where: string; der: Uint8Array; kind: 'certificate' | 'tbs' }[] = [];
  for (const { expected: e, leafInput } of loadRealEntries()) {
    const entry = decodeMerkleTreeLeaf(leafInput);
    out.push({ where: `${e.file}#${e.index_in_file}`, der: entry.signedEntry, kind: entry.entryType === 'x509_entry' ? 'certificate' : 'tbs' });
  }
  for (const { expected: e, der } of loadRealCertificates()) out.push({ where: e.file, der, kind: 'certificate' });
  return out;
}

test('the lean parser and the reference library agree on every field of all 172 real items', () => {
  const all = items();
  assert.equal(all.length, 172);
  for (const { where, der, kind } of all) {
    const ours = parseCertificate(der, kind);
    const ref = referenceFields(der, kind);
    const pairs: [string, unknown, unknown][] = [
      ['subjectDn', ours.subjectDn, ref.subjectDn],
      ['issuerDn', ours.issuerDn, ref.issuerDn],
      ['commonNames', ours.commonNames, ref.commonNames],
      ['serialHex', ours.serialHex, ref.serialHex],
      ['notBefore', ours.notBefore.getTime(), ref.notBefore.getTime()],
      ['notAfter', ours.notAfter.getTime(), ref.notAfter.getTime()],
      ['tbsSha256', ours.tbsSha256, ref.tbsSha256],
      ['spkiSha256', ours.spkiSha256, ref.spkiSha256],
      ['keyAlgorithm', KEY_OIDS[ours.keyAlgorithm] ?? ours.keyAlgorithm, ref.keyAlgorithmOid],
      ['keySize', ours.keySize, ref.keySize],
      ['ecCurve', ours.ecCurve, ref.ecCurve],
      ['signatureAlgorithm', ours.signatureAlgorithm, ref.signatureAlgorithm],
      ['sanDns', ours.sanDns, ref.sanDns],
      ['sanEmail', ours.sanEmail, ref.sanEmail],
      ['hasCrlDistributionPoints', ours.hasCrlDistributionPoints, ref.crlPresent],
      ['crlUrls', ours.crlUrls, ref.crlUrls],
      ['policyOids', ours.policyOids, ref.policyOids],
      ['isCa', ours.isCa, ref.isCa],
      ['extensionOids', ours.extensionOids, ref.extensionOids],
    ];
    for (const [field, a, b] of pairs) assert.deepEqual(a, b, `${where}: ${field}`);
  }
});
