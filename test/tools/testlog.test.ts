/**
 * The test CT log speaks RFC 6962 like the real logs: signed tree heads over
 * true Merkle roots, entries that decode, proofs that verify, the operators'
 * get-entries quirks, and expected data that matches what is served.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, id_ce_subjectAltName, SubjectAlternativeName, TBSCertificate } from '@peculiar/asn1-x509';
import {
  decodeExtraData,
  decodeMerkleTreeLeaf,
  leafHash,
  MerkleTree,
  parseSth,
  verifyConsistency,
  verifyInclusion,
  verifySthSignature,
  logId,
} from '../../src/share/ct/index.js';
import { DEFAULT_CACHE_DIR, startTestLogs, type TestLogs } from '../../tools/testlog/index.js';

let tl: TestLogs;

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const r = await fetch(url);
  const text = await r.text();
  return { status: r.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

async function entries(base: string, start: number, end: number): Promise<{ leaf_input: string; extra_data: string }[]> {
  const { status, body } = await getJson(`${base}ct/v1/get-entries?start=${start}&end=${end}`);
  assert.equal(status, 200, JSON.stringify(body));
  return (body as { entries: { leaf_input: string; extra_data: string }[] }).entries;
}

async function allEntries(base: string, size: number): Promise<{ leaf_input: string; extra_data: string }[]> {
  const out: { leaf_input: string; extra_data: string }[] = [];
  while (out.length < size) out.push(...(await entries(base, out.length, size - 1)));
  return out;
}

before(async () => {
  tl = await startTestLogs({ seed: 'protocol', size: 1500 });
});
after(async () => {
  await tl.close();
});

describe('catalogue and log list', () => {
  test('the catalogue lists every log with its URL and key, in the format of docs/design.md', () => {
    const cat = JSON.parse(readFileSync(tl.cataloguePath, 'utf8')) as { logs: { category: string; name: string; url: string; key: string }[] };
    assert.deepEqual(
      cat.logs.map((l) => `${l.category}/${l.name}`),
      ['google/argon-test', 'google/xenon-test', 'cloudflare/nimbus-test', 'digicert/wyvern-test', 'trustasia/hetu-test'],
    );
    for (const l of cat.logs) {
      assert.equal(l.url, `${tl.baseUrl}/${l.category}/${l.name}/`);
      assert.match(l.key, /^MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/, 'a P-256 SPKI like the real logs');
    }
  });

  test('the v3 log list carries log IDs derived from the keys', () => {
    const list = JSON.parse(readFileSync(tl.logListPath, 'utf8')) as { operators: { logs: { key: string; log_id: string; url: string }[] }[] };
    const logs = list.operators.flatMap((o) => o.logs);
    assert.equal(logs.length, 5);
    for (const l of logs) assert.equal(l.log_id, logId(Buffer.from(l.key, 'base64')).toString('base64'));
  });
});

describe('RFC 6962 endpoints', () => {
  test('get-sth is signed by the catalogued key over the Merkle root of all served entries', async () => {
    const log = tl.logs[3];
    const sth = parseSth((await getJson(`${log.url}ct/v1/get-sth`)).body);
    assert.equal(sth.treeSize, tl.treeSize(log.name));
    assert.ok(verifySthSignature(sth, Buffer.from(log.key, 'base64')));
    const tree = new MerkleTree();
    for (const e of await allEntries(log.url, sth.treeSize)) tree.appendLeaf(Buffer.from(e.leaf_input, 'base64'));
    assert.deepEqual(tree.root(), sth.rootHash);
    assert.ok(sth.timestamp <= Date.now());
  });

  test('entries decode; precert leaves carry the poison-free TBS, the issuer key hash and the full precertificate', async () => {
    const log = tl.logs[2];
    const list = await entries(log.url, 0, 1023);
    let precerts = 0;
    for (const e of list) {
      const leaf = decodeMerkleTreeLeaf(Buffer.from(e.leaf_input, 'base64'));
      const extra = decodeExtraData(leaf.entryType, Buffer.from(e.extra_data, 'base64'));
      assert.equal(extra.chain.length, 2, 'intermediate and root');
      assert.ok(leaf.timestamp >= Date.UTC(2024, 11, 1) && leaf.timestamp < Date.UTC(2026, 10, 1));
      if (leaf.entryType === 'precert_entry') {
        precerts++;
        const issuerSpki = spkiOfCert(extra.chain[0]);
        assert.deepEqual(Buffer.from(leaf.issuerKeyHash!), createHash('sha256').update(issuerSpki).digest());
        const poison = Buffer.from('060a2b06010401d679020403', 'hex');
        assert.ok(Buffer.from(extra.precertificate!).includes(poison), 'the precertificate has the poison extension');
        assert.ok(!Buffer.from(leaf.signedEntry).includes(poison), 'the leaf TBS has none');
      }
    }
    assert.ok(precerts > 0 && precerts < list.length);
  });

  test('get-roots returns the roots the chains end in', async () => {
    const { body } = await getJson(`${tl.logs[0].url}ct/v1/get-roots`);
    const roots = (body as { certificates: string[] }).certificates;
    assert.ok(roots.length >= 4);
    const e = (await entries(tl.logs[0].url, 0, 0))[0];
    const leaf = decodeMerkleTreeLeaf(Buffer.from(e.leaf_input, 'base64'));
    const chain = decodeExtraData(leaf.entryType, Buffer.from(e.extra_data, 'base64')).chain;
    assert.ok(roots.includes(Buffer.from(chain[chain.length - 1]).toString('base64')));
  });

  test('get-proof-by-hash and get-entry-and-proof give inclusion proofs that verify', async () => {
    const log = tl.logs[0];
    const sth = parseSth((await getJson(`${log.url}ct/v1/get-sth`)).body);
    for (const index of [0, 1, 777, sth.treeSize - 1]) {
      const e = (await entries(log.url, index, index))[0];
      const h = leafHash(Buffer.from(e.leaf_input, 'base64'));
      const { status, body } = await getJson(`${log.url}ct/v1/get-proof-by-hash?hash=${encodeURIComponent(h.toString('base64'))}&tree_size=${sth.treeSize}`);
      assert.equal(status, 200);
      const p = body as { leaf_index: number; audit_path: string[] };
      assert.equal(p.leaf_index, index);
      assert.ok(verifyInclusion(h, index, sth.treeSize, p.audit_path.map((x) => Buffer.from(x, 'base64')), sth.rootHash));
      const ep = (await getJson(`${log.url}ct/v1/get-entry-and-proof?leaf_index=${index}&tree_size=${sth.treeSize}`)).body as { leaf_input: string; audit_path: string[] };
      assert.equal(ep.leaf_input, e.leaf_input);
      assert.ok(verifyInclusion(h, index, sth.treeSize, ep.audit_path.map((x) => Buffer.from(x, 'base64')), sth.rootHash));
    }
    const missing = await getJson(`${log.url}ct/v1/get-proof-by-hash?hash=${encodeURIComponent(Buffer.alloc(32).toString('base64'))}&tree_size=${sth.treeSize}`);
    assert.equal(missing.status, 404);
  });

  test('get-sth-consistency proves an earlier tree is a prefix', async () => {
    const log = tl.logs[1];
    const all = await allEntries(log.url, tl.treeSize(log.name));
    const tree = new MerkleTree();
    for (const e of all) tree.appendLeaf(Buffer.from(e.leaf_input, 'base64'));
    const sth = parseSth((await getJson(`${log.url}ct/v1/get-sth`)).body);
    for (const first of [1, 7, 64, 1000]) {
      const { body } = await getJson(`${log.url}ct/v1/get-sth-consistency?first=${first}&second=${sth.treeSize}`);
      const proof = (body as { consistency: string[] }).consistency.map((x) => Buffer.from(x, 'base64'));
      assert.ok(verifyConsistency(first, sth.treeSize, tree.root(first), sth.rootHash, proof), `consistency ${first} -> ${sth.treeSize}`);
    }
  });
});

describe('get-entries quirks', () => {
  test('Google style: at most 32 entries, never crossing a multiple of 32', async () => {
    const url = tl.logs[0].url;
    assert.equal((await entries(url, 0, 999)).length, 32);
    assert.equal((await entries(url, 5, 999)).length, 27);
    assert.equal((await entries(url, 30, 33)).length, 2);
    assert.equal((await entries(url, 64, 70)).length, 7);
  });

  test('caps per operator: Cloudflare 1024, DigiCert 256, TrustAsia 100, unaligned', async () => {
    const byName = (n: string): string => tl.logs.find((l) => l.name === n)!.url;
    assert.equal((await entries(byName('nimbus-test'), 3, 1400)).length, 1024);
    assert.equal((await entries(byName('wyvern-test'), 3, 1400)).length, 256);
    assert.equal((await entries(byName('hetu-test'), 3, 1400)).length, 100);
  });

  test('an end beyond the tree is clamped', async () => {
    const log = tl.logs[4];
    const size = tl.treeSize(log.name);
    assert.equal((await entries(log.url, size - 3, size + 500)).length, 3);
  });

  test('malformed ranges get 400 with a message naming the problem', async () => {
    const url = `${tl.logs[0].url}ct/v1/get-entries`;
    for (const q of ['', '?start=1', '?end=3', '?start=-1&end=3', '?start=a&end=3', '?start=5&end=4', `?start=${tl.treeSize(tl.logs[0].name)}&end=99999`, '?start=1.5&end=3']) {
      const { status, body } = await getJson(url + q);
      assert.equal(status, 400, q);
      assert.match((body as { error: string }).error, /start|end/, q);
    }
  });

  test('unknown paths answer 404', async () => {
    assert.equal((await getJson(`${tl.baseUrl}/google/nope/ct/v1/get-sth`)).status, 404);
    assert.equal((await getJson(`${tl.logs[0].url}ct/v1/add-chain`)).status, 404);
  });
});

describe('expected data', () => {
  test('every expected .jp entry is served at its index with the stated hash and names', async () => {
    for (const log of tl.logs) {
      const served = await allEntries(log.url, tl.treeSize(log.name));
      const listed = tl.expected.jp_entries.filter((e) => e.log === log.name);
      assert.equal(listed.length, tl.expected.logs.find((l) => l.name === log.name)!.jp_entries);
      const listedIdx = new Set(listed.map((e) => e.index));
      for (const e of listed) {
        const leaf = decodeMerkleTreeLeaf(Buffer.from(served[e.index].leaf_input, 'base64'));
        assert.equal(leaf.entryType, e.entry_type);
        assert.equal(leaf.timestamp, e.timestamp);
        assert.equal(createHash('sha256').update(leaf.signedEntry).digest('hex'), e.sha256);
        assert.deepEqual(dnsNames(leaf.entryType, leaf.signedEntry).sort(), [...e.names].sort());
      }
      // No other entry names a .jp domain, in its SANs or its common name.
      for (const [i, s] of served.entries()) {
        if (listedIdx.has(i)) continue;
        const leaf = decodeMerkleTreeLeaf(Buffer.from(s.leaf_input, 'base64'));
        const names = [...dnsNames(leaf.entryType, leaf.signedEntry), ...commonNames(leaf.entryType, leaf.signedEntry)];
        assert.ok(!names.some((n) => n.toLowerCase().endsWith('.jp')), `entry ${i} of ${log.name}: ${names.join(' ')}`);
      }
    }
  });

  test('about 1% .jp at scale, every organisation type and lineage class present', () => {
    const x = tl.expected;
    const types = new Set(x.lineages.map((l) => l.org_type));
    for (const t of ['go', 'lg', 'localgov-geo', 'ac', 'co', 'ed', 'ne', 'or', 'gr', 'ad', 'geo', 'general', 'general-idn']) assert.ok(types.has(t as never), t);
    for (const c of ['automated90', 'automated47', 'manual', 'lapsed']) assert.ok(x.lineages.some((l) => l.class === c), c);
    const levels = new Set(x.certificates.map((c) => c.validation_level));
    for (const l of ['DV', 'OV', 'EV']) assert.ok(levels.has(l as never), l);
    assert.ok(x.certificates.some((c) => c.wildcard));
    assert.ok(x.certificates.some((c) => c.crl_urls.length > 0));
    assert.ok(x.certificates.some((c) => c.key_algorithm === 'EC') && x.certificates.some((c) => c.key_algorithm === 'RSA'));
  });

  test('lineages follow their class: renewal intervals, office hours, lapses', () => {
    for (const l of tl.expected.lineages) {
      for (const r of l.renewals) {
        if (l.class === 'automated90') assert.ok(r.days_since_previous_issuance > 58 && r.days_since_previous_issuance < 62, `${l.id}`);
        if (l.class === 'automated47') assert.ok(r.days_since_previous_issuance > 29.9 && r.days_since_previous_issuance < 32.1, `${l.id}`);
        if (l.class === 'manual') {
          assert.ok(!r.weekend && !r.holiday, `${l.id} renewed on a business day`);
          assert.ok(r.jst_time >= '09:00:00' && r.jst_time < '18:00:00', `${l.id} office hours`);
          assert.ok(!r.lapsed);
        }
        if (l.class === 'lapsed') assert.ok(r.lapsed && r.gap_days > 0, `${l.id}`);
      }
      if (l.class === 'lapsed') assert.equal(l.gaps_days.length, l.renewals.length);
    }
    assert.ok(tl.expected.lineages.some((l) => l.class === 'automated90' && l.renewals.some((r) => r.weekend || r.holiday)), 'automated renewals fall on weekends too');
  });

  test('a precertificate and its final certificate both logged; the same certificate in two logs', () => {
    const certs = tl.expected.certificates;
    assert.ok(certs.some((c) => c.sightings.some((s) => s.entry_type === 'precert_entry') && c.sightings.some((s) => s.entry_type === 'x509_entry')));
    assert.ok(certs.some((c) => new Set(c.sightings.filter((s) => s.entry_type === 'x509_entry').map((s) => s.log)).size >= 2));
    assert.ok(certs.some((c) => new Set(c.sightings.filter((s) => s.entry_type === 'precert_entry').map((s) => s.log)).size >= 2));
  });

  test('the same seed and size give the same ground truth from a fresh generation', async () => {
    const fresh = `${process.cwd()}/tmp/testlog-cache-fresh-${process.pid}`;
    // The RSA key pool is shared between corpora; everything else is generated again.
    const { cpSync, mkdirSync } = await import('node:fs');
    mkdirSync(fresh, { recursive: true });
    cpSync(`${process.env.CTJP_TESTLOG_CACHE ?? DEFAULT_CACHE_DIR}/rsa-key-pool-v1.json`, `${fresh}/rsa-key-pool-v1.json`);
    const again = await startTestLogs({ seed: 'protocol', size: 1500, cacheDir: fresh });
    try {
      const strip = (x: typeof tl.expected): unknown => ({
        lineages: x.lineages,
        entries: x.jp_entries.map((e) => [e.log, e.index, e.entry_type, e.names, e.timestamp]),
        certs: x.certificates.map((c) => [c.serial_hex, c.subject_dn, c.not_before, c.sightings]),
      });
      assert.deepEqual(strip(again.expected), strip(tl.expected));
    } finally {
      await again.close();
      const { rmSync } = await import('node:fs');
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});

function tbsOf(entryType: string, body: Uint8Array): TBSCertificate {
  return entryType === 'x509_entry' ? AsnConvert.parse(body, Certificate).tbsCertificate : AsnConvert.parse(body, TBSCertificate);
}

function dnsNames(entryType: string, body: Uint8Array): string[] {
  const san = tbsOf(entryType, body).extensions?.find((x) => x.extnID === id_ce_subjectAltName);
  if (!san) return [];
  return [...AsnConvert.parse(san.extnValue, SubjectAlternativeName)].flatMap((g) => (g.dNSName ? [g.dNSName] : []));
}

function commonNames(entryType: string, body: Uint8Array): string[] {
  return tbsOf(entryType, body).subject.flatMap((rdn) => rdn.filter((a) => a.type === '2.5.4.3').map((a) => a.value.toString()));
}

/** SubjectPublicKeyInfo of a DER certificate: the 7th element of the TBS (6th without version). */
function spkiOfCert(der: Uint8Array): Buffer {
  const b = Buffer.from(der);
  const read = (at: number): { start: number; end: number; hdr: number } => {
    let len = b[at + 1];
    let hdr = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[at + 2 + i];
      hdr += n;
    }
    return { start: at, end: at + hdr + len, hdr };
  };
  const cert = read(0);
  const tbs = read(cert.hdr);
  let at = tbs.start + tbs.hdr;
  for (let i = 0; i < 6; i++) at = read(at).end; // version, serial, sigalg, issuer, validity, subject
  const spki = read(at);
  return b.subarray(spki.start, spki.end);
}
