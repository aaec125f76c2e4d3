import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { Migrator } from 'kysely';
import { createConnection } from 'mysql2/promise';
import { startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, testManagerEnv, type TestManagerEnv } from '../helpers/manager.js';
import { dropTestDatabase, testDatabaseUrl } from '../../tools/fixtures/database.js';
import { insertCertificates } from '../../tools/fixtures/analysis-db.js';
import { buildCertificate, buildTbs, precertLeaf, sanExtension, x509Leaf, type NameSpec } from '../helpers/der-builder.js';
import { parseFraction } from '../../src/manager-api/config.js';
import { connectDatabase, ensureDatabase, migrateToLatest, parseDatabaseUrl } from '../../src/db/connect.js';
import { backfillCertificateNames, migrationProvider } from '../../src/db/migrations.js';
import { coveredDnsNames } from '../../src/share/x509/index.js';
import type { AnalysisCertificate } from '../../src/analysis/model.js';
import type { Assignment, DomainCertificatesResponse, UploadItem } from '../../src/share/api/index.js';

let g: TestLog;
let env: TestManagerEnv;
let app: FastifyInstance;
let lease: Assignment;

before(async () => {
  g = await startTestLog({ name: 'g1', category: 'google', size: 400, pageSize: 32 });
  env = await testManagerEnv([catalogueEntry(g)], { targetFraction: parseFraction('1/1'), assignmentSize: 384 });
  app = await env.build();
  await app.planner.planAll();
  const r = await app.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: 'w1', friend_name: 'alice', version: '0.1.0' } });
  assert.equal(r.statusCode, 200, r.body);
  lease = r.json().assignments[0];
});

after(async () => {
  await env?.cleanup();
  await g?.close();
});

interface Spec {
  serial: string;
  subject: NameSpec;
  san: string[];
  notBefore: string;
}

const tbsOf = (s: Spec): Uint8Array =>
  buildTbs({ serialHex: s.serial, subject: s.subject, notBefore: new Date(s.notBefore), notAfter: new Date(Date.parse(s.notBefore) + 90 * 86_400_000), extensions: [sanExtension(s.san)] });

const CN = '2.5.4.3';
const O = '2.5.4.10';
const CERTS = {
  // Mixed case and trailing dots, in the CN and the SAN.
  A: { serial: '0a01', subject: [[CN, 'Shop.Example.JP.']], san: ['shop.example.jp', 'WWW.Shop.Example.jp.'], notBefore: '2025-03-01T00:00:00Z' },
  B: { serial: '0a02', subject: [[CN, '*.example.jp']], san: ['*.example.jp'], notBefore: '2025-02-01T00:00:00Z' },
  // A CN that is not a DNS name is not indexed.
  C: { serial: '0a03', subject: [[O, 'Example Corp'], [CN, 'Example Corp']], san: ['a.b.example.jp', 'other.co.jp'], notBefore: '2025-01-01T00:00:00Z' },
  // The apex only in the CN.
  D: { serial: '0a04', subject: [[CN, 'example.jp']], san: ['mail.example.net'], notBefore: '2025-04-01T00:00:00Z' },
  E: { serial: '0a05', subject: [[CN, 'xn--r8jz45g.jp']], san: ['xn--r8jz45g.jp'], notBefore: '2024-12-01T00:00:00Z' },
  // Ends in "example.jp" but is not under it.
  F: { serial: '0a06', subject: [[CN, 'notexample.jp']], san: ['notexample.jp', 'www.notexample.jp'], notBefore: '2025-05-01T00:00:00Z' },
} satisfies Record<string, Spec>;
type Key = keyof typeof CERTS;

const EXPECTED_NAMES: Record<Key, string[]> = {
  A: ['shop.example.jp', 'www.shop.example.jp'],
  B: ['*.example.jp'],
  C: ['a.b.example.jp', 'other.co.jp'],
  D: ['example.jp', 'mail.example.net'],
  E: ['xn--r8jz45g.jp'],
  F: ['notexample.jp', 'www.notexample.jp'],
};

const item = (index: number, leaf: Uint8Array): UploadItem => ({
  leaf_input: Buffer.from(leaf).toString('base64'),
  ct_log_url: g.url,
  log_name: g.name,
  friend_name: 'alice',
  index,
  lease_id: lease.lease_id,
});

async function upload(items: UploadItem[]): Promise<{ new_certificates: number; new_sightings: number }> {
  const r = await app.inject({ method: 'POST', url: '/api/v1/certificates', payload: items });
  assert.equal(r.statusCode, 200, r.body);
  return r.json();
}

async function namesBySerial(): Promise<Record<string, string[]>> {
  const rows = await app.db
    .selectFrom('certificate_names')
    .innerJoin('certificates', 'certificates.id', 'certificate_names.certificate_id')
    .select(['certificates.serial_hex', 'certificate_names.name'])
    .orderBy('certificate_names.name')
    .execute();
  const out: Record<string, string[]> = {};
  for (const r of rows) (out[r.serial_hex] ??= []).push(r.name);
  return out;
}

async function domain(name: string, query = ''): Promise<{ status: number; body: DomainCertificatesResponse & { message?: string; code?: string } }> {
  const r = await app.inject({ method: 'GET', url: `/api/v1/domains/${encodeURIComponent(name)}/certificates${query}` });
  return { status: r.statusCode, body: r.json() };
}

const serialOf = (k: Key): string => CERTS[k].serial.replace(/^0+/, '');
/** [certificate, match] pairs of an answer, certificates named by their key in CERTS. */
function matches(body: DomainCertificatesResponse): [string, string][] {
  const bySerial = new Map(Object.keys(CERTS).map((k) => [serialOf(k as Key), k]));
  return body.certificates.map((c) => [bySerial.get(c.serial_hex) ?? c.serial_hex, c.match]);
}

test('ingest indexes each new certificate’s names once, lower-cased, without trailing dot, wildcards kept', async () => {
  const keys = Object.keys(CERTS) as Key[];
  // A as a precertificate, the rest as certificates.
  const r1 = await upload(keys.map((k, i) => item(i, k === 'A' ? precertLeaf(tbsOf(CERTS.A)) : x509Leaf(buildCertificate(tbsOf(CERTS[k]))))));
  assert.equal(r1.new_certificates, keys.length);
  const expected = Object.fromEntries(keys.map((k) => [serialOf(k), EXPECTED_NAMES[k]]));
  assert.deepEqual(await namesBySerial(), expected);
  for (const k of keys) assert.deepEqual(coveredDnsNames(CERTS[k].san, CERTS[k].subject.at(-1)![1]), EXPECTED_NAMES[k], k);

  // The same upload again, the same certificate at other indexes, and A's final certificate: no new
  // certificate, so no name is added twice.
  await upload(keys.map((k, i) => item(i, k === 'A' ? precertLeaf(tbsOf(CERTS.A)) : x509Leaf(buildCertificate(tbsOf(CERTS[k]))))));
  const r2 = await upload([item(20, x509Leaf(buildCertificate(tbsOf(CERTS.A)))), item(21, x509Leaf(buildCertificate(tbsOf(CERTS.B))))]);
  assert.deepEqual([r2.new_certificates, r2.new_sightings], [0, 2]);
  assert.deepEqual(await namesBySerial(), expected);

  // A precertificate and its final certificate in one upload are one certificate with one set of names.
  const G: Spec = { serial: '0a07', subject: [[CN, 'g.example.co.jp']], san: ['g.example.co.jp'], notBefore: '2025-06-01T00:00:00Z' };
  const r3 = await upload([item(30, precertLeaf(tbsOf(G))), item(31, x509Leaf(buildCertificate(tbsOf(G))))]);
  assert.equal(r3.new_certificates, 1);
  assert.deepEqual((await namesBySerial())['a07'], ['g.example.co.jp']);
  const total = await app.db.selectFrom('certificate_names').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  assert.equal(Number(total.n), Object.values(EXPECTED_NAMES).flat().length + 1);
});

test('domain look-up: exact names, the wildcard over a name, names under a domain; case, trailing dot and Unicode normalised', async () => {
  const shop = await domain('shop.example.jp');
  assert.equal(shop.status, 200, JSON.stringify(shop.body));
  assert.deepEqual([shop.body.name, shop.body.wildcard_parent, shop.body.include_subdomains, shop.body.count], ['shop.example.jp', '*.example.jp', false, 2]);
  assert.deepEqual(matches(shop.body), [['A', 'exact'], ['B', 'wildcard']]);
  const a = shop.body.certificates[0];
  assert.deepEqual(a.san_dns, CERTS.A.san);
  assert.equal(a.features.wildcard, false);
  assert.equal(shop.body.certificates[1].features.wildcard, true);

  const shouted = await domain('  SHOP.Example.JP.  ');
  assert.equal(shouted.body.name, 'shop.example.jp');
  assert.deepEqual(matches(shouted.body), matches(shop.body));
  // Named in the SAN as WWW.Shop.Example.jp. only.
  assert.deepEqual(matches((await domain('www.shop.example.jp')).body), [['A', 'exact']]);
  // The wildcard covers one label only, and not the apex; a CN that is a DNS name counts.
  assert.deepEqual(matches((await domain('x.example.jp')).body), [['B', 'wildcard']]);
  assert.deepEqual(matches((await domain('a.b.example.jp')).body), [['C', 'exact']]);
  const apex = await domain('example.jp');
  assert.equal(apex.body.wildcard_parent, null);
  assert.deepEqual(matches(apex.body), [['D', 'exact']]);
  assert.deepEqual(matches((await domain('*.example.jp')).body), [['B', 'exact']]);
  // Unicode names are looked up as A-labels.
  const idn = await domain('例え.jp');
  assert.equal(idn.body.name, 'xn--r8jz45g.jp');
  assert.deepEqual(matches(idn.body), [['E', 'exact']]);
  assert.deepEqual(matches((await domain('XN--R8JZ45G.JP')).body), [['E', 'exact']]);

  // Everything under example.jp, newest first; notexample.jp is not under it.
  const sub = await domain('example.jp', '?include_subdomains=1');
  assert.equal(sub.status, 200, JSON.stringify(sub.body));
  assert.equal(sub.body.include_subdomains, true);
  assert.deepEqual(matches(sub.body), [['D', 'exact'], ['A', 'subdomain'], ['B', 'subdomain'], ['C', 'subdomain']]);
  assert.deepEqual(matches((await domain('example.jp', '?include_subdomains=1&limit=2')).body), [['D', 'exact'], ['A', 'subdomain']]);
  assert.deepEqual(matches((await domain('B.Example.JP.', '?include_subdomains=1')).body), [['B', 'wildcard'], ['C', 'subdomain']]);
  assert.deepEqual(matches((await domain('shop.example.jp', '?include_subdomains=0')).body), matches(shop.body));
  assert.deepEqual(matches((await domain('notexample.jp', '?include_subdomains=1')).body), [['F', 'exact']]);
  assert.deepEqual((await domain('nothing.example.org', '?include_subdomains=1')).body.certificates, []);

  // A certificate an audit quarantined is left out until it is released.
  await app.db.updateTable('certificates').set({ quarantined: 1 }).where('serial_hex', '=', serialOf('A')).execute();
  assert.deepEqual(matches((await domain('shop.example.jp')).body), [['B', 'wildcard']]);
  await app.db.updateTable('certificates').set({ quarantined: 0 }).where('serial_hex', '=', serialOf('A')).execute();
  assert.deepEqual(matches((await domain('shop.example.jp')).body), [['A', 'exact'], ['B', 'wildcard']]);
});

test('domain look-up: a bad name is a 400 that names the problem', async () => {
  const cases: [string, string, RegExp][] = [
    ['a..b.jp', '', /has an empty label/],
    [' . ', '', /is empty/],
    ['bad!.example.jp', '', /label "bad!" contains "!"/],
    ['a b.jp', '', /contains " "/],
    [`${'x'.repeat(64)}.jp`, '', /is 64 characters long, more than 63/],
    [['a', 'b', 'c'].map((c) => c.repeat(63)).join('.') + `.${'d'.repeat(62)}`, '', /is 254 characters long, more than 253/],
    ['www.*.example.jp', '', /wildcard is allowed only as the whole leftmost label/],
    ['*', '', /wildcard is allowed only/],
    ['xn--zz.jp', '', /label "xn--zz" is not valid punycode/],
    ['co.jp', '?include_subdomains=1', /"co.jp" is a public suffix/],
    ['jp', '?include_subdomains=1', /"jp" is a public suffix/],
    ['*.example.jp', '?include_subdomains=1', /does not apply to the wildcard name "\*\.example\.jp"/],
  ];
  for (const [name, query, message] of cases) {
    const r = await domain(name, query);
    assert.equal(r.status, 400, name);
    assert.equal(r.body.code, 'INVALID_DOMAIN', name);
    assert.match(r.body.message!, message, name);
    if (!query) assert.ok(r.body.message!.includes(JSON.stringify(name)), r.body.message);
  }
  const flag = await domain('example.jp', '?include_subdomains=yes');
  assert.equal(flag.status, 400);
  assert.match(flag.body.message!, /include_subdomains/);
});

/** A certificate as the analysis loader stores it (names[0] becomes the CN). */
function stored(id: number, names: string[]): AnalysisCertificate {
  const nb = Date.UTC(2025, 0, 1) + id * 60_000;
  return {
    id: String(id), names, notBefore: nb, notAfter: nb + 90 * 86_400_000, ctTimestamp: nb, issuerOrg: "Let's Encrypt", issuerCn: 'R11',
    issuerDn: "CN=R11,O=Let's Encrypt,C=US", serialHex: `b${id}`, validationLevel: 'DV', seenPrecert: true, seenFinal: false,
  };
}

test('the names migration backfills certificates stored before it, in batches, and can be run again', async () => {
  const url = testDatabaseUrl();
  await ensureDatabase(parseDatabaseUrl(url));
  const db = connectDatabase(url, 2);
  const conn = await createConnection({ uri: url, timezone: 'Z', charset: 'utf8mb4', supportBigNumbers: true });
  try {
    // The schema as it was before the names table.
    const migrator = new Migrator({ db, provider: migrationProvider });
    const before = await migrator.migrateTo('0003_ranges_by_start');
    assert.equal(before.error, undefined);
    await conn.query("INSERT INTO logs (name, category, url) VALUES ('testlog-a', 'google', 'http://127.0.0.1/a/'), ('testlog-b', 'cloudflare', 'http://127.0.0.1/b/')");
    const certs = [
      stored(1, ['Shop.Example.JP.', 'shop.example.jp', 'WWW.shop.example.jp.']),
      stored(2, ['*.example.jp']),
      stored(3, ['Example Corp', 'a.b.example.jp']),
      // More than one backfill batch.
      ...Array.from({ length: 2500 }, (_, i) => stored(10 + i, [`h${i}.bulk.example.co.jp`, `bulk.example.co.jp`])),
    ];
    await insertCertificates(conn, certs, { names: false });
    // A san_dns that is not JSON still gets its CN indexed.
    await conn.query(`UPDATE certificates SET san_dns = 'not json' WHERE serial_hex = 'b2'`);

    const applied = await migrateToLatest(db);
    assert.equal(applied[0], '0004_certificate_names');
    const [rows] = await conn.query<import('mysql2').RowDataPacket[]>(
      'SELECT c.serial_hex, n.name, n.name_rev FROM certificate_names n JOIN certificates c ON c.id = n.certificate_id ORDER BY c.id, n.name',
    );
    const bySerial = new Map<string, string[]>();
    for (const r of rows) {
      bySerial.set(r.serial_hex, [...(bySerial.get(r.serial_hex) ?? []), r.name]);
      assert.equal(r.name_rev, [...String(r.name)].reverse().join(''));
    }
    assert.deepEqual(bySerial.get('b1'), ['shop.example.jp', 'www.shop.example.jp']);
    assert.deepEqual(bySerial.get('b2'), ['*.example.jp']);
    assert.deepEqual(bySerial.get('b3'), ['a.b.example.jp']);
    assert.deepEqual(bySerial.get('b2509'), ['bulk.example.co.jp', 'h2499.bulk.example.co.jp']);
    assert.equal(rows.length, 2 + 1 + 1 + 2500 * 2);

    // Run again: nothing added. Cut short (names of the later certificates missing): resumed.
    assert.equal(await backfillCertificateNames(db), 0);
    await conn.query('DELETE n FROM certificate_names n JOIN certificates c ON c.id = n.certificate_id WHERE c.serial_hex >= ? AND c.id > 1500', ['b']);
    const left = await count(conn);
    assert.ok(left < rows.length);
    assert.equal(await backfillCertificateNames(db, 300), rows.length - left);
    assert.equal(await count(conn), rows.length);

    // The manager on this database answers from the backfilled names.
    const onIt = await env.build({}, { dbUrl: url });
    const r = await onIt.inject({ method: 'GET', url: '/api/v1/domains/WWW.Shop.Example.JP./certificates' });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(
      (r.json() as DomainCertificatesResponse).certificates.map((c) => [c.serial_hex, c.match]),
      [['b1', 'exact']],
    );
    const sub = await onIt.inject({ method: 'GET', url: '/api/v1/domains/bulk.example.co.jp/certificates?include_subdomains=1&limit=3' });
    assert.deepEqual(
      (sub.json() as DomainCertificatesResponse).certificates.map((c) => [c.serial_hex, c.match]),
      [['b2509', 'exact'], ['b2508', 'exact'], ['b2507', 'exact']],
    );
  } finally {
    await conn.end();
    await db.destroy();
    await dropTestDatabase(url);
  }
});

async function count(conn: import('mysql2/promise').Connection): Promise<number> {
  const [rows] = await conn.query<import('mysql2').RowDataPacket[]>('SELECT COUNT(*) AS n FROM certificate_names');
  return Number(rows[0].n);
}
