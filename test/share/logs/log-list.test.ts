/**
 * Reading the browsers' log lists (test/data/log-lists, real copies: see its SOURCES.md): Chrome's
 * all_logs_list.json and Apple's list, the skip rules, names and categories, page sizes, read-only
 * tree heads, the list's signature, and lists at a URL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatalogueError } from '../../../src/share/logs/catalogue.js';
import { LogListError, loadLogList, loadLogListSync, logNameSlug, operatorCategory, readLogList, verifyLogListSignature } from '../../../src/share/logs/log-list.js';

const DIR = join(import.meta.dirname, '..', '..', 'data', 'log-lists');
const CHROME = join(DIR, 'all_logs_list.json');
const SIG = join(DIR, 'all_logs_list.sig');
const PEM = join(DIR, 'log_list_pubkey.pem');
const APPLE = join(DIR, 'apple_current_log_list.json');

const chrome = () => loadLogListSync({ list: CHROME, signature: SIG, key: PEM });

test("Chrome's list: kind, version, and the logs kept by default with their names and categories", () => {
  const r = chrome();
  assert.equal(r.kind, 'chrome');
  assert.equal(r.version, '89.25');
  assert.equal(r.timestamp, '2026-08-20T13:34:57Z');
  const byCategory = new Map<string, string[]>();
  for (const l of r.catalogue.logs) byCategory.set(l.category, [...(byCategory.get(l.category) ?? []), l.name]);
  assert.deepEqual(Object.fromEntries(byCategory), {
    google: ['argon2026h2', 'argon2027h1', 'xenon2026h2', 'xenon2027h1', 'parcelyard2026h2', 'parcelyard2027h1', 'parcelyard2027h2', 'plumbersarms2026h2', 'plumbersarms2027h1', 'plumbersarms2027h2'],
    cloudflare: ['nimbus2026', 'nimbus2027'],
    digicert: ['wyvern2026h2', 'wyvern2027h1', 'wyvern2027h2', 'sphinx2026h2', 'sphinx2027h1', 'sphinx2027h2'],
    sectigo: ['mammoth2026h2', 'sabre2026h2', 'elephant2026h2', 'elephant2027h1', 'elephant2027h2', 'tiger2026h2', 'tiger2027h1', 'tiger2027h2'],
    'lets-encrypt': ['oak2026h2', 'sycamore2026h2', 'sycamore2027h1', 'sycamore2027h2', 'willow2026h2', 'willow2027h1', 'willow2027h2'],
    trustasia: ['log2026a', 'log2026b', 'hetu2027', 'luoshu2027'],
    geomys: ['tuscolo2026h2', 'tuscolo2027h1', 'tuscolo2027h2'],
    'ipng-networks': ['halloumi2026h2a', 'halloumi2027h1', 'halloumi2027h2', 'gouda2026h2', 'gouda2027h1', 'gouda2027h2'],
  });
  // RFC 6962 logs from `logs` (url), static-ct-api logs from `tiled_logs` (url = monitoring_url, and submission_url).
  const argon = r.catalogue.logs.find((l) => l.name === 'argon2027h1')!;
  assert.deepEqual([argon.api, argon.url, argon.submissionUrl, argon.pageSize], ['rfc6962', 'https://ct.googleapis.com/logs/us1/argon2027h1/', null, 32]);
  assert.equal(argon.key, 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEKHRm0H/zUaFA6Idz5cGvGO3tCPQyfGMgJmVBOPyKAP6mGM1IiNXi4CLomOUyYj0YN74p+eGVApFMsM4h/jzCsA==');
  assert.deepEqual(argon.temporalInterval, { start: new Date('2027-01-01T00:00:00Z'), end: new Date('2027-07-01T00:00:00Z') });
  const py = r.catalogue.logs.find((l) => l.name === 'parcelyard2027h1')!;
  assert.deepEqual(
    [py.api, py.url, py.submissionUrl, py.pageSize],
    ['static-ct-api', 'https://storage.googleapis.com/parcelyard2027h1.prod.certificate.transparency.goog/', 'https://parcelyard2027h1.prod.certificate.transparency.goog/', null],
  );
  // Page sizes by operator, on RFC 6962 logs only.
  const page = (name: string) => r.catalogue.logs.find((l) => l.name === name)!.pageSize;
  assert.deepEqual(['nimbus2027', 'wyvern2027h1', 'elephant2027h1', 'hetu2027', 'luoshu2027', 'sycamore2027h1', 'oak2026h2'].map(page), [256, 256, 256, 32, null, null, null]);
  // Nothing else carries a politeness interval.
  assert.ok(r.catalogue.logs.every((l) => l.minIntervalMs === null && !l.shutDown && !l.dataTiles));
});

test('skip rules: no state, test and monitoring-only logs, bogus placeholders, pending and rejected (unless asked for)', () => {
  const r = chrome();
  const why = (name: string) => r.logs.find((l) => l.name === name)?.skipped;
  assert.equal(why('submariner'), 'no state');
  assert.equal(why('daedalus'), 'no state');
  assert.equal(why('testtube'), 'a test log or a placeholder');
  // log_type "test" without the word in the description.
  assert.equal(why('solera2027h1'), 'a test log or a placeholder');
  assert.equal(why('twig2027h1'), 'a test log or a placeholder');
  assert.equal(why('coachandhorses2027h1'), 'no state');
  // Retired, with an interval, but bogus.
  assert.equal(why('bogus-placeholder-log-to-unbreak-misbehaving-ct-libraries'), 'a test log or a placeholder');
  assert.equal(why('bogus-rfc6962-log-to-avoid-breaking-misbehaving-ct-libraries'), 'a test log or a placeholder');
  assert.equal(why('argon2026h1'), 'state rejected');
  assert.equal(why('trastevere2027h1'), 'state pending');
  assert.equal(why('eszigno2027h1'), 'state pending');
  // Kept: qualified, usable, readonly and retired.
  assert.deepEqual(['parcelyard2027h1', 'argon2027h1', 'mammoth2026h2', 'oak2026h2'].map(why), [null, null, null, null]);
  assert.equal(r.catalogue.logs.length, 46);
  assert.equal(r.logs.length, 117); // 42 RFC 6962 and 75 tiled entries

  const all = loadLogListSync({ list: CHROME, extraStates: ['pending', 'rejected'] });
  const names = all.catalogue.logs.map((l) => l.name);
  assert.equal(names.length, 76);
  for (const n of ['argon2026h1', 'trastevere2027h1', 'eszigno2026h2', 'gouda2028h1']) assert.ok(names.includes(n), n);
  for (const n of ['submariner', 'testtube', 'solera2026h1', 'twig2026h1']) assert.ok(!names.includes(n), n);
  // Names never depend on the states read.
  for (const l of r.catalogue.logs) assert.equal(all.catalogue.logs.find((x) => x.url === l.url)?.name, l.name);
});

test('a read-only log keeps its final tree head', () => {
  const mammoth = chrome().catalogue.logs.find((l) => l.name === 'mammoth2026h2')!;
  assert.deepEqual(mammoth.finalTreeHead, { treeSize: 57634084, rootHash: 'vJHecZC18lG3qp9lV2jZoi+7nkPHQx2SmM4VWglNsIk=' });
  assert.equal(chrome().catalogue.logs.find((l) => l.name === 'oak2026h2')!.finalTreeHead, null);
});

test("Apple's list: recognised by its top-level fields; Cloudflare's Raio tiled logs; the same names as Chrome's", () => {
  const r = loadLogListSync({ list: APPLE });
  assert.equal(r.kind, 'apple');
  assert.equal(r.version, '1013');
  assert.equal(r.timestamp, null);
  const raio = r.catalogue.logs.filter((l) => l.name.startsWith('raio'));
  assert.deepEqual(
    raio.map((l) => [l.name, l.category, l.api, l.url, l.submissionUrl]),
    [
      ['raio2026h1a', 'cloudflare', 'static-ct-api', 'https://raio2026h1a.ct.cloudflare.com/', 'https://ct.cloudflare.com/logs/raio2026h1a/'],
      ['raio2026h2a', 'cloudflare', 'static-ct-api', 'https://raio2026h2a.ct.cloudflare.com/', 'https://ct.cloudflare.com/logs/raio2026h2a/'],
      ['raio2027h1a', 'cloudflare', 'static-ct-api', 'https://raio2027h1a.ct.cloudflare.com/', 'https://ct.cloudflare.com/logs/raio2027h1a/'],
      ['raio2027h2a', 'cloudflare', 'static-ct-api', 'https://raio2027h2a.ct.cloudflare.com/', 'https://ct.cloudflare.com/logs/raio2027h2a/'],
    ],
  );
  // Raio2025h2b is rejected; Luoshu2027 pending in Apple's list.
  assert.equal(r.logs.find((l) => l.name === 'raio2025h2b')?.skipped, 'state rejected');
  assert.equal(r.logs.find((l) => l.name === 'luoshu2027')?.skipped, 'state pending');
  // Apple names some logs by host and path, or without the operator, or with spaces: the names still match Chrome's.
  const chromeNames = new Map(chrome().catalogue.logs.map((l) => [l.url, l.name]));
  let shared = 0;
  for (const l of r.catalogue.logs) {
    const c = chromeNames.get(l.url);
    if (c === undefined) continue;
    shared++;
    assert.equal(l.name, c, l.url);
  }
  assert.ok(shared >= 30, `${shared} logs in both lists`);
  // Its legal form dropped, IPng is one category in Apple's list.
  assert.deepEqual([...new Set(r.catalogue.logs.filter((l) => /ipng/.test(l.url)).map((l) => l.category))], ['ipng']);
  // A readonly log of Apple's list (Let's Encrypt Oak2026H2) keeps its final tree head too.
  assert.ok(r.catalogue.logs.find((l) => l.name === 'oak2026h2')!.finalTreeHead);
});

test('names and categories: slugs of the description and the operator, unique in the list', () => {
  const cases: [string, string, string][] = [
    ["Google 'Argon2027h1' log", 'Google', 'argon2027h1'],
    ["Google 'Argon 2026H1' log", 'Google', 'argon2026h1'],
    ["Google 'Xenon 2023 log", 'Google', 'xenon2023'],
    ["Let's Encrypt 'Oak2026h2'", "Let's Encrypt", 'oak2026h2'],
    ['log.sycamore.ct.letsencrypt.org/2027h1', "Let's Encrypt", 'sycamore2027h1'],
    ['TrustAsia Luoshu2027', 'TrustAsia', 'luoshu2027'],
    ['TrustAsia HETU2027 (RFC6962)', 'TrustAsia', 'hetu2027'],
    ['Trust Asia Log2024-2', 'TrustAsia', 'log2024-2'],
    ['TrustAsia Log 2020', 'TrustAsia', 'log2020'],
    ["DigiCert 'Yeti 2022' log #2", 'DigiCert', 'yeti2022-2'],
    ['Elephant 2027h1', 'Sectigo', 'elephant2027h1'],
    ["Sectigo 'Mammoth' CT log", 'Sectigo', 'mammoth'],
    ['StartCom log', 'StartCom', 'startcom'],
    ['IPng Networks Gouda2028h1', 'IPng Networks', 'gouda2028h1'],
  ];
  for (const [description, operator, name] of cases) assert.equal(logNameSlug(description, operator), name, description);
  assert.deepEqual(
    ['Google', "Let's Encrypt", 'IPng Networks', 'IPng GmbH', 'Beijing PuChuangSiDa Technology Ltd.', 'TrustAsia'].map(operatorCategory),
    ['google', 'lets-encrypt', 'ipng-networks', 'ipng', 'beijing-puchuangsida-technology', 'trustasia'],
  );
  // Every category fits the catalogue's rule (parseCatalogue checked them), and names are unique in each list.
  for (const file of [CHROME, APPLE]) {
    const names = loadLogListSync({ list: file, extraStates: ['pending', 'rejected'] }).logs.map((l) => l.name);
    assert.equal(new Set(names).size, names.length, file);
  }

  // Two operators' logs with one slug: each gets its category in front; one operator's twins get -2.
  const log = (description: string, url: string) => ({ description, url, key: undefined, state: { usable: { timestamp: '2026-01-01T00:00:00Z' } }, temporal_interval: { start_inclusive: '2027-01-01T00:00:00Z', end_exclusive: '2027-07-01T00:00:00Z' } });
  const r = readLogList({
    operators: [
      { name: 'Google', logs: [log("Google 'Shard2027' log", 'https://a.example/'), log("Google 'Shard2027'", 'https://b.example/')] },
      { name: 'Cloudflare', logs: [log("Cloudflare 'Shard2027'", 'https://c.example/'), log("Cloudflare 'Other'", 'https://d.example/')] },
    ],
  });
  assert.deepEqual(
    r.catalogue.logs.map((l) => l.name),
    ['google-shard2027', 'google-shard2027-2', 'cloudflare-shard2027', 'other'],
  );
});

test('a list is refused with a clear message: not a list, a catalogue, nothing to read, a malformed kept entry', () => {
  assert.throws(() => readLogList([], { source: 'x.json' }), (e: Error) => e instanceof LogListError && e instanceof CatalogueError && /x\.json: expected a browser log list/.test(e.message));
  assert.throws(() => readLogList({ logs: [] }, { source: 'x.json' }), /this is a log catalogue with "logs": give it with --logs/);
  const pendingOnly = { operators: [{ name: 'Geomys', tiled_logs: [{ description: 'Geomys X', monitoring_url: 'https://m.example/', submission_url: 'https://s.example/', state: { pending: { timestamp: '2026-01-01T00:00:00Z' } }, temporal_interval: { start_inclusive: '2027-01-01T00:00:00Z', end_exclusive: '2027-07-01T00:00:00Z' } }] }] };
  assert.throws(() => readLogList(pendingOnly, { source: 'x.json' }), /x\.json: no log to collect from \(left out: 1 × state pending; states read: qualified, usable, readonly, retired\)/);
  assert.equal(readLogList(pendingOnly, { extraStates: ['pending'] }).catalogue.logs[0].name, 'x');
  const noMonitoring = structuredClone(pendingOnly);
  delete (noMonitoring.operators[0].tiled_logs[0] as { monitoring_url?: string }).monitoring_url;
  assert.throws(() => readLogList(noMonitoring, { source: 'x.json', extraStates: ['pending'] }), /x\.json: operators\[0\]\.tiled_logs\[0\]\.monitoring_url is missing \(operators\[0\]\.tiled_logs\[0\], "Geomys X"\)/);
  const badKey = structuredClone(pendingOnly);
  (badKey.operators[0].tiled_logs[0] as { key?: string }).key = 'AAAA';
  assert.throws(() => readLogList(badKey, { source: 'x.json', extraStates: ['pending'] }), /x\.json: logs\[0\]\.key is not a DER SubjectPublicKeyInfo \(log "x"\)/);
});

test("the signature: Google's real one verifies; a changed byte, another key or a missing half is refused", () => {
  const bytes = readFileSync(CHROME);
  const sig = readFileSync(SIG);
  const pem = readFileSync(PEM, 'utf8');
  verifyLogListSignature(bytes, sig, pem);
  const tampered = Buffer.from(bytes);
  const at = tampered.indexOf('"89.25"') + 1;
  tampered[at] = '9'.charCodeAt(0); // version 99.25
  assert.throws(() => verifyLogListSignature(tampered, sig, pem, 'all_logs_list.json'), (e: Error) => e instanceof LogListError && /all_logs_list\.json: the signature does not match the list's bytes under the given RSA key \(SHA-256\); refusing the list/.test(e.message));
  const flipped = Buffer.from(sig);
  flipped[100] ^= 1;
  assert.throws(() => verifyLogListSignature(bytes, flipped, pem), /signature does not match/);
  // A whitespace change is a change too: the exact bytes are signed, not the JSON value.
  assert.throws(() => verifyLogListSignature(Buffer.concat([bytes, Buffer.from('\n')]), sig, pem), /signature does not match/);
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ecPem = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  assert.throws(() => verifyLogListSignature(bytes, sig, ecPem), /under the given ECDSA key/);
  // ECDSA signatures (DER) verify too.
  verifyLogListSignature(bytes, sign('sha256', bytes, ec.privateKey), ecPem);
  const ed = generateKeyPairSync('ed25519');
  assert.throws(() => verifyLogListSignature(bytes, sig, ed.publicKey.export({ type: 'spki', format: 'pem' }).toString()), /the signing key is ed25519; log list signatures are RSA or ECDSA with SHA-256/);
  assert.throws(() => verifyLogListSignature(bytes, sig, 'not a key'), /the signing key is not a PEM public key/);

  // Through the loader: a tampered copy is refused before it is read.
  const dir = mkdtempSync(join(tmpdir(), 'ctjp-loglist-'));
  try {
    writeFileSync(join(dir, 'list.json'), tampered);
    assert.throws(() => loadLogListSync({ list: join(dir, 'list.json'), signature: SIG, key: PEM }), /list\.json: the signature does not match/);
    assert.throws(() => loadLogListSync({ list: CHROME, signature: SIG }), /a log list signature .* needs the key to check it with/);
    assert.throws(() => loadLogListSync({ list: CHROME, key: PEM }), /a log list key .* needs the signature to check/);
    assert.throws(() => loadLogListSync({ list: join(dir, 'missing.json') }), /cannot read log list .*missing\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a list and its signature at http URLs: fetched, checked, read; errors, size cap and timeout named', async () => {
  const bytes = readFileSync(CHROME);
  const sig = readFileSync(SIG);
  const server = createServer((req, res) => {
    if (req.url === '/all_logs_list.json') return res.end(bytes);
    if (req.url === '/all_logs_list.sig') return res.end(sig);
    if (req.url === '/big.json') {
      res.writeHead(200); // no content-length: the cap applies while reading
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      for (let i = 0; i < 17; i++) res.write(chunk);
      return res.end();
    }
    if (req.url === '/slow.json') return; // never answers
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const r = await loadLogList({ list: `${base}/all_logs_list.json`, signature: `${base}/all_logs_list.sig`, key: PEM });
    assert.equal(r.catalogue.logs.length, 46);
    await assert.rejects(loadLogList({ list: `${base}/nothing.json` }), /cannot fetch log list http:\/\/127\.0\.0\.1:\d+\/nothing\.json: HTTP 404/);
    await assert.rejects(loadLogList({ list: `${base}/all_logs_list.json`, signature: `${base}/nothing.sig`, key: PEM }), /cannot fetch log list signature .*nothing\.sig: HTTP 404/);
    await assert.rejects(loadLogList({ list: `${base}/big.json` }), /log list http:.*big\.json is larger than 16777216 bytes/);
    await assert.rejects(loadLogList({ list: `${base}/slow.json`, timeoutMs: 300 }), /cannot fetch log list .*slow\.json: no answer within 300 ms/);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
