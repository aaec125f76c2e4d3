/**
 * The test log's ground truth against the project's certificate parser:
 * every served leaf parses strictly, the parser's fields match the
 * generator's, `.jp` is found exactly where expected, and a precertificate
 * and its final certificate share one identity.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { certificateIdentity, mayCoverJp, parseLeaf } from '../../src/share/x509/index.js';
import { startTestLogs, type ExpectedCertificate, type TestLogs } from '../../tools/testlog/index.js';

let tl: TestLogs;
const leaves = new Map<string, Buffer[]>();

before(async () => {
  tl = await startTestLogs({ seed: 'x509', size: 1200 });
  for (const log of tl.logs) {
    const list: Buffer[] = [];
    while (list.length < tl.treeSize(log.name)) {
      const r = await fetch(`${log.url}ct/v1/get-entries?start=${list.length}&end=${tl.treeSize(log.name) - 1}`);
      for (const e of ((await r.json()) as { entries: { leaf_input: string }[] }).entries) list.push(Buffer.from(e.leaf_input, 'base64'));
    }
    leaves.set(log.name, list);
  }
});
after(async () => {
  await tl.close();
});

test('every served leaf parses strictly; .jp exactly at the expected entries; the prefilter keeps them all', () => {
  for (const [log, list] of leaves) {
    const jp = new Set(tl.expected.jp_entries.filter((e) => e.log === log).map((e) => e.index));
    for (const [i, leaf] of list.entries()) {
      const p = parseLeaf(leaf);
      assert.equal(p.error, null, `${log}#${i}`);
      assert.equal(p.fields?.parseMode, 'strict', `${log}#${i}: ${p.fields?.parseNotes.join('; ')}`);
      assert.equal(p.coversJp, jp.has(i), `${log}#${i}`);
      if (jp.has(i)) assert.ok(mayCoverJp(leaf), `${log}#${i}`);
    }
  }
});

test("the parser's fields match the generator's for every .jp certificate", () => {
  const byId = new Map(tl.expected.certificates.map((c) => [c.id, c]));
  for (const e of tl.expected.jp_entries) {
    const c = byId.get(e.certificate)!;
    const f = parseLeaf(leaves.get(e.log)![e.index]).fields!;
    const where = `${e.log}#${e.index} (${c.id})`;
    assert.equal(f.sha256, e.sha256, where);
    assert.deepEqual(f.sanDns, c.san_dns, where);
    assert.equal(f.serialHex, c.serial_hex, where);
    assert.equal(f.issuerDn, c.issuer_dn, where);
    assert.equal(f.subjectDn, c.subject_dn, where);
    assert.equal(f.commonName, c.common_name, where);
    assert.equal(f.issuerOrganization, c.ca, where);
    assert.equal(f.notBefore.toISOString().replace('.000Z', 'Z'), c.not_before, where);
    assert.equal(f.notAfter.toISOString().replace('.000Z', 'Z'), c.not_after, where);
    assert.equal(f.validityDays, c.validity_days, where);
    assert.equal(f.validationLevel, c.validation_level, where);
    assert.deepEqual(f.policyOids, c.policy_oids, where);
    assert.equal(f.keyAlgorithm, c.key_algorithm, where);
    assert.equal(f.keySize, c.key_size, where);
    assert.equal(f.signatureAlgorithm, c.signature_algorithm, where);
    assert.equal(f.spkiSha256, c.spki_sha256, where);
    assert.equal(f.isWildcard, c.wildcard, where);
    assert.deepEqual(f.crlUrls, c.crl_urls, where);
    assert.equal(f.hasEmbeddedScts, e.entry_type === 'x509_entry' && c.precert_sha256 !== null, where);
  }
});

test('one identity per distinct certificate, shared by its precertificate and final certificate in every log', () => {
  const identityOf = new Map<string, string>();
  const owner = new Map<string, ExpectedCertificate['id']>();
  for (const e of tl.expected.jp_entries) {
    const id = certificateIdentity(parseLeaf(leaves.get(e.log)![e.index]).fields!).toString('hex');
    const seen = identityOf.get(e.certificate);
    if (seen) assert.equal(id, seen, `${e.log}#${e.index} (${e.certificate})`);
    identityOf.set(e.certificate, id);
    const o = owner.get(id);
    assert.ok(o === undefined || o === e.certificate, `${e.certificate} and ${o} share an identity`);
    owner.set(id, e.certificate);
  }
  assert.equal(owner.size, tl.expected.certificates.length);
});
