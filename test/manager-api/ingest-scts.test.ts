// The embedded SCTs of a final certificate reach the certificates row's fields JSON, whichever of
// precertificate and final certificate arrives first, in one upload or in two.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Certificate, Extension, Extensions, TBSCertificate } from '@peculiar/asn1-x509';
import type { FastifyInstance } from 'fastify';
import { startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, testManagerEnv, type TestManagerEnv } from '../helpers/manager.js';
import { loadRealEntries } from '../../tools/fixtures/ct-real.js';
import { parseFraction } from '../../src/manager-api/config.js';
import { mergeFields } from '../../src/manager-api/ingest/ingest.js';
import { decodeMerkleTreeLeaf, encodeMerkleTreeLeaf } from '../../src/share/ct/index.js';
import { parseCertificate, parseLeaf, type Sct } from '../../src/share/x509/index.js';
import type { Assignment, UploadItem } from '../../src/share/api/index.js';

const OID_SCTS = '1.3.6.1.4.1.11129.2.4.2';

let g: TestLog;
before(async () => {
  g = await startTestLog({ name: 'g1', category: 'google', size: 200, pageSize: 32 });
});
after(async () => {
  await g.close();
});

/** A real SCT list extension (from a real final certificate) and the SCTs in it. */
function realSctExtension(): { ext: Extension; scts: Sct[] } {
  const real = loadRealEntries().find((e) => e.expected.entry_type === 'x509_entry' && e.expected.has_embedded_scts)!;
  const der = decodeMerkleTreeLeaf(real.leafInput).signedEntry;
  const ext = AsnConvert.parse(der, Certificate).tbsCertificate.extensions!.find((e) => e.extnID === OID_SCTS)!;
  return { ext: new Extension({ extnID: OID_SCTS, critical: false, extnValue: new OctetString(ext.extnValue.buffer) }), scts: parseCertificate(der, 'certificate').scts };
}

/** The final certificate of a precert leaf: its TBS plus the SCT list (signature bytes are filler; nothing checks them). */
function finalLeafWithScts(precertLeaf: Buffer, ext: Extension): Buffer {
  const entry = decodeMerkleTreeLeaf(precertLeaf);
  const tbs = AsnConvert.parse(entry.signedEntry, TBSCertificate);
  tbs.extensions = new Extensions([...(tbs.extensions ?? []), ext]);
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: tbs.signature, signatureValue: new Uint8Array(64).buffer });
  const der = new Uint8Array(AsnConvert.serialize(cert));
  return Buffer.from(encodeMerkleTreeLeaf({ timestamp: entry.timestamp + 5000, entryType: 'x509_entry', signedEntry: der, issuerKeyHash: null }));
}

/** The first precertificate of the test log that covers a .jp name (the manager takes no other). */
const firstJpPrecert = (): number => g.leaves.findIndex((l) => decodeMerkleTreeLeaf(l).entryType === 'precert_entry' && parseLeaf(l).coversJp);

async function setup(): Promise<{ env: TestManagerEnv; app: FastifyInstance; lease: Assignment }> {
  const env = await testManagerEnv([catalogueEntry(g)], { targetFraction: parseFraction('1/1'), assignmentSize: 200 });
  const app = await env.build();
  await app.planner.planAll();
  const r = await app.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: 'w1', friend_name: 'alice', version: '0.1.0' } });
  assert.equal(r.statusCode, 200, r.body);
  return { env, app, lease: r.json().assignments[0] };
}

const item = (lease: Assignment, index: number, leaf: Buffer): UploadItem => ({
  leaf_input: leaf.toString('base64'),
  ct_log_url: g.url,
  log_name: g.name,
  friend_name: 'alice',
  index,
  lease_id: lease.lease_id,
});

async function upload(app: FastifyInstance, items: UploadItem[]): Promise<void> {
  const r = await app.inject({ method: 'POST', url: '/api/v1/certificates', payload: items });
  assert.equal(r.statusCode, 200, r.body);
}

async function storedScts(app: FastifyInstance): Promise<{ scts: Sct[]; hasEmbeddedScts: boolean; rows: number }> {
  const rows = await app.db.selectFrom('certificates').select(['fields', 'seen_final', 'seen_precert']).execute();
  const f = JSON.parse(rows[0].fields) as { scts: Sct[]; hasEmbeddedScts: boolean };
  return { scts: f.scts, hasEmbeddedScts: f.hasEmbeddedScts, rows: rows.length };
}

test('precertificate first, final certificate later: the row gains the SCTs and keeps them when either is uploaded again', async () => {
  const { env, app, lease } = await setup();
  const { ext, scts } = realSctExtension();
  assert.ok(scts.length >= 2);
  try {
    const p = firstJpPrecert();
    await upload(app, [item(lease, p, g.leaves[p])]);
    assert.deepEqual(await storedScts(app), { scts: [], hasEmbeddedScts: false, rows: 1 });
    const final = finalLeafWithScts(g.leaves[p], ext);
    await upload(app, [item(lease, 199, final)]);
    assert.deepEqual(await storedScts(app), { scts, hasEmbeddedScts: true, rows: 1 });
    await upload(app, [item(lease, 198, g.leaves[p]), item(lease, 197, final)]);
    assert.deepEqual(await storedScts(app), { scts, hasEmbeddedScts: true, rows: 1 });
  } finally {
    await env.cleanup();
  }
});

test('precertificate and final certificate in one upload, either order: one row with the SCTs', async () => {
  const { ext, scts } = realSctExtension();
  const p = firstJpPrecert();
  const final = finalLeafWithScts(g.leaves[p], ext);
  for (const order of ['precert first', 'final first']) {
    const { env, app, lease } = await setup();
    try {
      const pair = [item(lease, p, g.leaves[p]), item(lease, 199, final)];
      await upload(app, order === 'precert first' ? pair : pair.reverse());
      assert.deepEqual(await storedScts(app), { scts, hasEmbeddedScts: true, rows: 1 }, order);
    } finally {
      await env.cleanup();
    }
  }
});

test('mergeFields adds SCTs only to a row that has none', () => {
  const pre = JSON.stringify({ a: 1, scts: [], hasEmbeddedScts: false });
  const fin = JSON.stringify({ a: 2, scts: [{ version: 0, logId: 'x', timestamp: 1 }], hasEmbeddedScts: true });
  assert.deepEqual(JSON.parse(mergeFields(pre, fin)), { a: 1, scts: [{ version: 0, logId: 'x', timestamp: 1 }], hasEmbeddedScts: true });
  assert.equal(mergeFields(fin, pre), fin);
  assert.equal(mergeFields(pre, pre), pre);
});
