// certificateIdentity: one issuance = one identity, whether seen as precert leaf or final certificate.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { test } from 'node:test';
import { decodeExtraData } from '../../../src/share/ct/index.js';
import { certificateIdentity, parseCertificate, parseLeaf } from '../../../src/share/x509/index.js';
import { loadRealEntries } from '../../../tools/fixtures/ct-real.js';
import { buildTbs, extension, oid, precertLeaf, sanExtension, seq, tlv, x509Leaf, type NameSpec } from '../../helpers/der-builder.js';

// Built with ctjp's test DER builder and signed with a real CA key (node:crypto). @peculiar/x509 would
// need the reflect-metadata polyfill, which the project does not install.
const POISON = '1.3.6.1.4.1.11129.2.4.3';
const SCT_LIST = '1.3.6.1.4.1.11129.2.4.2';
const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const subjectKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const subjectSpki = subjectKey.publicKey.export({ type: 'spki', format: 'der' });

interface Issue {
  serialHex: string;
  issuer: NameSpec;
}

function tbsOf(i: Issue, ct: 'poison' | 'scts' | 'none'): Uint8Array {
  const extensions = [sanExtension(['www.example.co.jp', 'example.co.jp'])];
  if (ct === 'poison') extensions.push(extension(POISON, Uint8Array.of(0x05, 0x00), true));
  if (ct === 'scts') extensions.push(extension(SCT_LIST, Uint8Array.of(0x04, 0x02, 0x00, 0x00)));
  return buildTbs({
    serialHex: i.serialHex,
    issuer: i.issuer,
    subject: [['2.5.4.6', 'JP'], ['2.5.4.10', 'Example KK'], ['2.5.4.3', 'www.example.co.jp']],
    notBefore: new Date('2025-12-01T00:00:00Z'),
    notAfter: new Date('2026-03-01T00:00:00Z'),
    spki: subjectSpki,
    extensions,
  });
}

function signed(tbs: Uint8Array): Uint8Array {
  const signature = sign('sha256', tbs, ca.privateKey);
  return seq(tbs, seq(oid('1.2.840.10045.4.3.2')), tlv(0x03, Uint8Array.of(0), signature));
}

test('a precert leaf and its final certificate have one identity; another serial or issuer makes another', () => {
  const base: Issue = { serialHex: '0a1b2c3d4e5f', issuer: [['2.5.4.6', 'US'], ['2.5.4.10', 'Test CA Inc.'], ['2.5.4.3', 'Test CA R1']] };
  const precert = signed(tbsOf(base, 'poison'));
  const final = signed(tbsOf(base, 'scts'));

  const leaf = parseLeaf(precertLeaf(tbsOf(base, 'none')));
  const finalLeaf = parseLeaf(x509Leaf(final));
  assert.equal(leaf.fields!.hasCtPoison, false);
  assert.equal(finalLeaf.fields!.hasEmbeddedScts, true);
  assert.notEqual(leaf.fields!.sha256, finalLeaf.fields!.sha256);
  const id = certificateIdentity(leaf.fields!);
  assert.equal(id.length, 32);
  assert.deepEqual(certificateIdentity(finalLeaf.fields!), id);
  // The full precertificate (poison still in) is the same issuance too.
  assert.deepEqual(certificateIdentity(parseCertificate(precert, 'certificate')), id);

  const otherSerial = parseCertificate(signed(tbsOf({ ...base, serialHex: '0a1b2c3d4e60' }, 'scts')), 'certificate');
  const otherIssuer = parseCertificate(signed(tbsOf({ ...base, issuer: [['2.5.4.6', 'US'], ['2.5.4.10', 'Other CA Inc.'], ['2.5.4.3', 'Other CA R1']] }, 'scts')), 'certificate');
  assert.notDeepEqual(certificateIdentity(otherSerial), id);
  assert.notDeepEqual(certificateIdentity(otherIssuer), id);
});

test('real precert leaves and the precertificates in their extra_data share an identity', () => {
  let compared = 0;
  for (const { expected: e, leafInput, extraData } of loadRealEntries()) {
    if (e.entry_type !== 'precert_entry' || e.uses_precert_signing_certificate || !e.precertificate_matches_leaf) continue;
    const leaf = parseLeaf(leafInput);
    const precert = parseCertificate(decodeExtraData('precert_entry', extraData).precertificate!, 'certificate');
    assert.deepEqual(certificateIdentity(precert), certificateIdentity(leaf.fields!), `${e.file}#${e.index_in_file}`);
    compared++;
  }
  assert.ok(compared >= 70, `compared ${compared}`);
});

test('identities of the real items are distinct except for the same certificate seen twice', () => {
  const seen = new Map<string, string>();
  for (const { expected: e, leafInput } of loadRealEntries()) {
    const f = parseLeaf(leafInput).fields!;
    const key = certificateIdentity(f).toString('hex');
    const before = seen.get(key);
    if (before !== undefined) assert.equal(before, f.serialHex + f.issuerDn, `${e.file}#${e.index_in_file}`);
    seen.set(key, f.serialHex + f.issuerDn);
  }
});
