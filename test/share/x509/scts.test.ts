// The embedded SCT list: real final certificates against OpenSSL's reading and the browsers' log
// lists, and hand-made lists that are truncated or whose lengths lie.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { CtDecodeError, decodeMerkleTreeLeaf } from '../../../src/share/ct/index.js';
import { decodeSctList, parseCertificate, parseLeaf } from '../../../src/share/x509/index.js';
import { loadRealCertificates, loadRealEntries } from '../../../tools/fixtures/ct-real.js';
import { buildCertificate, buildTbs, extension, sanExtension, tlv } from '../../helpers/der-builder.js';

const OID_SCTS = '1.3.6.1.4.1.11129.2.4.2';
const LOG_LISTS = join(import.meta.dirname, '..', '..', 'data', 'log-lists');

/** Every log_id in Chrome's and Apple's lists (RFC 6962 and tiled logs). */
function knownLogIds(): Set<string> {
  const ids = new Set<string>();
  for (const file of ['all_logs_list.json', 'apple_current_log_list.json']) {
    const list = JSON.parse(readFileSync(join(LOG_LISTS, file), 'utf8')) as { operators: { logs?: { log_id: string }[]; tiled_logs?: { log_id: string }[] }[] };
    for (const op of list.operators) for (const l of [...(op.logs ?? []), ...(op.tiled_logs ?? [])]) ids.add(l.log_id);
  }
  return ids;
}

/** The DER of every real final certificate (x509 leaves and stand-alone certificates). */
function realFinalCertificates(): { name: string; der: Buffer; hasScts: boolean }[] {
  const leaves = loadRealEntries()
    .filter((e) => e.expected.entry_type === 'x509_entry')
    .map((e) => ({ name: `${e.expected.file}#${e.expected.index_in_file}`, der: Buffer.from(decodeMerkleTreeLeaf(e.leafInput).signedEntry), hasScts: e.expected.has_embedded_scts === true }));
  const certs = loadRealCertificates().map((c) => ({ name: c.expected.file, der: c.der, hasScts: c.expected.has_embedded_scts === true }));
  return [...leaves, ...certs];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** OpenSSL's text dump of the SCTs: version, log ID (hex with colons over two lines) and timestamp ("Apr 18 01:37:32.727 2024 GMT"). */
function opensslScts(der: Buffer, dir: string): { version: number; logId: string; timestamp: number }[] {
  const file = join(dir, 'c.der');
  writeFileSync(file, der);
  const text = execFileSync('openssl', ['x509', '-inform', 'DER', '-in', file, '-noout', '-text'], { encoding: 'utf8' });
  const out: { version: number; logId: string; timestamp: number }[] = [];
  const re = /Version\s*: v(\d+) \(0x[0-9a-f]+\)\s*Log ID\s*: ([0-9A-F:\s]+?)\s*Timestamp\s*: (\w{3}) +(\d+) (\d\d):(\d\d):(\d\d)(?:\.(\d+))? (\d{4}) GMT/g;
  for (const m of text.matchAll(re)) {
    const logId = Buffer.from(m[2].replace(/[\s:]/g, ''), 'hex').toString('base64');
    const ms = m[8] === undefined ? 0 : Number(m[8].padEnd(3, '0').slice(0, 3));
    const timestamp = Date.UTC(Number(m[9]), MONTHS.indexOf(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), Number(m[7]), ms);
    out.push({ version: Number(m[1]) - 1, logId, timestamp });
  }
  return out;
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('real final certificates: the SCTs OpenSSL reads, each naming a log of the browsers’ lists', { skip: hasOpenssl() ? false : 'openssl is not installed' }, () => {
  const known = knownLogIds();
  const dir = mkdtempSync(join(tmpdir(), 'ctjp-scts-'));
  try {
    let withScts = 0;
    let scts = 0;
    for (const c of realFinalCertificates()) {
      const f = parseCertificate(c.der, 'certificate');
      assert.equal(f.scts.length > 0, c.hasScts, `${c.name}: SCTs present exactly when expected.json says the extension is`);
      if (!c.hasScts) continue;
      withScts++;
      scts += f.scts.length;
      assert.deepEqual(f.scts, opensslScts(c.der, dir), c.name);
      for (const s of f.scts) assert.ok(known.has(s.logId), `${c.name}: log ID ${s.logId} is in Chrome's or Apple's list`);
    }
    // expected.json: 53 items carry the extension, all of them final certificates.
    assert.equal(withScts, 53);
    assert.ok(scts >= 2 * withScts, `every certificate has at least two SCTs (${scts} in all)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('precertificates carry no SCTs', () => {
  for (const e of loadRealEntries().filter((x) => x.expected.entry_type === 'precert_entry')) {
    const leaf = parseLeaf(e.leafInput);
    if (leaf.fields) assert.deepEqual(leaf.fields.scts, [], e.expected.file);
  }
});

// Hand-made lists. One v1 SCT: version, log ID, timestamp, extensions, hash and signature algorithms, signature.
const LOG_ID = Buffer.alloc(32, 0xab);
function sct(o: { version?: number; timestamp?: bigint; ext?: Buffer; sig?: Buffer; extLen?: number; sigLen?: number } = {}): Buffer {
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(o.timestamp ?? 1_735_689_600_123n);
  const ext = o.ext ?? Buffer.alloc(0);
  const sig = o.sig ?? Buffer.alloc(70, 0x30);
  const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([o.version ?? 0]), LOG_ID, ts, u16(o.extLen ?? ext.length), ext, Buffer.from([4, 3]), u16(o.sigLen ?? sig.length), sig]);
}
const framed = (body: Buffer, len = body.length) => Buffer.concat([Buffer.from([len >> 8, len & 0xff]), body]);
const list = (...scts: Buffer[]) => framed(Buffer.concat(scts.map((s) => framed(s))));

/** A certificate whose SCT extension holds `value` (the extension's OCTET STRING wraps another OCTET STRING). */
function certWith(value: Uint8Array, wrap = true) {
  const ext = extension(OID_SCTS, wrap ? tlv(0x04, value) : value);
  return parseCertificate(buildCertificate(buildTbs({ extensions: [sanExtension(['www.example.jp']), ext] })), 'certificate');
}

test('a well-formed hand-made list: every SCT, in order, strict parse', () => {
  const f = certWith(list(sct(), sct({ timestamp: 1_700_000_000_000n, ext: Buffer.from([1, 2, 3]) })));
  assert.equal(f.parseMode, 'strict');
  assert.deepEqual(f.scts, [
    { version: 0, logId: LOG_ID.toString('base64'), timestamp: 1_735_689_600_123 },
    { version: 0, logId: LOG_ID.toString('base64'), timestamp: 1_700_000_000_000 },
  ]);
  assert.equal(f.hasEmbeddedScts, true);
});

test('malformed lists: no SCTs, a parse note naming the defect, the rest of the certificate intact', () => {
  const good = list(sct(), sct());
  const cases: [string, Uint8Array, RegExp, boolean?][] = [
    ['list length larger than the bytes', framed(good.subarray(2), good.length), /length field says/],
    ['list length smaller than the bytes', framed(good.subarray(2), good.length - 10), /length field says/],
    ['SCT length overruns the list', framed(Buffer.concat([framed(sct(), 200)])), /overruns the list/],
    ['SCT length shorter than its SCT', framed(Buffer.concat([framed(sct().subarray(0, 50))])), /needs at least|does not end/],
    ['extensions length lies', list(sct({ extLen: 500 })), /extensions length 500 overruns/],
    ['signature length lies', list(sct({ sigLen: 10 })), /signature length 10 does not end/],
    ['an empty SCT', framed(Buffer.from([0, 0])), /empty at offset/],
    ['timestamp beyond 2^53 ms', list(sct({ timestamp: 2n ** 60n })), /beyond 2\^53/],
    ['only one byte', Buffer.from([0]), /too short/],
    ['not wrapped in an OCTET STRING', good, /SCT list: (expected tag 0x4|length of)/, false],
  ];
  for (const [what, value, reason, wrap] of cases) {
    const f = certWith(value, wrap ?? true);
    assert.equal(f.parseMode, 'lenient', what);
    assert.deepEqual(f.scts, [], what);
    assert.ok(
      f.parseNotes.some((n) => n.startsWith(`extension ${OID_SCTS} skipped:`) && reason.test(n)),
      `${what}: ${JSON.stringify(f.parseNotes)}`,
    );
    assert.deepEqual(f.sanDns, ['www.example.jp'], what);
    assert.equal(f.hasEmbeddedScts, true, what);
  }
});

test('every truncation of a real list is refused by the decoder with CtDecodeError, never a crash', () => {
  const real = realFinalCertificates().find((c) => c.hasScts)!;
  const n = parseCertificate(real.der, 'certificate').scts.length;
  // The list bytes, read with the maintained ASN.1 library: the extension's OCTET STRING wraps another.
  const ext = AsnConvert.parse(real.der, Certificate).tbsCertificate.extensions!.find((e) => e.extnID === OID_SCTS)!;
  const body = Buffer.from(AsnConvert.parse(ext.extnValue.buffer, OctetString).buffer);
  assert.equal(decodeSctList(body, 0, body.length).scts.length, n);
  for (let len = 0; len < body.length; len++) {
    assert.throws(() => decodeSctList(body.subarray(0, len), 0, len), CtDecodeError, `truncated to ${len}`);
  }
});

test('unknown SCT versions are skipped (framing is intact) and noted; an empty list is noted', () => {
  const f = certWith(list(framedVersion(1), sct()));
  assert.equal(f.parseMode, 'lenient');
  assert.equal(f.scts.length, 1);
  assert.ok(f.parseNotes.includes('SCT list: an SCT of unknown version 1 skipped'), JSON.stringify(f.parseNotes));
  const empty = certWith(framed(Buffer.alloc(0)));
  assert.deepEqual(empty.scts, []);
  assert.ok(empty.parseNotes.includes('SCT list: empty'), JSON.stringify(empty.parseNotes));
});

function framedVersion(v: number): Buffer {
  // An SCT of another version: its layout is unknown, so only its first byte matters.
  return Buffer.from([v, 1, 2, 3, 4, 5]);
}
