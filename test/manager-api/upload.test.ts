import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { finalCertificateLeaf } from '../helpers/final-cert.js';
import { catalogueEntry, testManagerEnv, type TestManagerEnv } from '../helpers/manager.js';
import { parseFraction } from '../../src/manager-api/config.js';
import { decodeMerkleTreeLeaf, encodeMerkleTreeLeaf } from '../../src/share/ct/index.js';
import { parseLeaf } from '../../src/share/x509/index.js';
import { issueToken } from '../../src/manager-api/repositories/tokens.js';
import { addUploadedItems } from '../../src/manager-api/repositories/uploads.js';
import { inTransaction } from '../../src/db/transaction.js';
import type { Assignment, StatusResponse, UploadItem } from '../../src/share/api/index.js';
import { indexesCoveringJp, uploadItem } from '../helpers/uploads.js';

let g: TestLog;
/** Indexes of the test log's leaves that cover a .jp name (the only ones a worker uploads), and of some that do not. */
let jp: number[];
let notJp: number[];
before(async () => {
  g = await startTestLog({ name: 'g1', category: 'google', size: 400, pageSize: 32 });
  jp = indexesCoveringJp(g.leaves);
  notJp = indexesCoveringJp(g.leaves, false);
});
after(async () => {
  await g.close();
});

const TABLES = ['certificates', 'certificate_names', 'sightings', 'daily_counts', 'logs', 'workers', 'leases', 'ranges', 'leaf_files'];

async function snapshot(app: FastifyInstance): Promise<unknown> {
  const sums: Record<string, unknown> = {};
  for (const t of TABLES) {
    const r = await sql<{ Checksum: number }>`CHECKSUM TABLE ${sql.table(t)}`.execute(app.db);
    sums[t] = r.rows[0].Checksum;
  }
  const file = app.leafStore.pathFor(g.url);
  sums.file = existsSync(file) ? readFileSync(file, 'utf8') : null;
  return sums;
}

async function setup(overrides = {}): Promise<{ env: TestManagerEnv; app: FastifyInstance; lease: Assignment }> {
  const env = await testManagerEnv([catalogueEntry(g)], { targetFraction: parseFraction('1/1'), assignmentSize: 384, ...overrides });
  const app = await env.build();
  await app.planner.planAll();
  const r = await app.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: 'w1', friend_name: 'alice', version: '0.1.0' } });
  assert.equal(r.statusCode, 200, r.body);
  return { env, app, lease: r.json().assignments[0] };
}

const item = (lease: Assignment, index: number, leaf: Buffer = g.leaves[index]): UploadItem => uploadItem(g, lease.lease_id, index, leaf);

/** The leaf with its certificate (or precertificate TBS) replaced by other bytes: the leaf still decodes, the certificate does not. */
const withCertificate = (leaf: Buffer, bytes: string): Buffer => Buffer.from(encodeMerkleTreeLeaf({ ...decodeMerkleTreeLeaf(leaf), signedEntry: Buffer.from(bytes, 'latin1') }));

const upload = (app: FastifyInstance, payload: unknown, headers: Record<string, string> = {}) => app.inject({ method: 'POST', url: '/api/v1/certificates', payload: payload as object, headers });

test('uploads store each distinct certificate once and every sighting; the same upload twice changes nothing', async () => {
  const { env, app, lease } = await setup();
  try {
    assert.deepEqual([lease.start, lease.end], [0, 383]);
    // The .jp leaves among the 163 distinct real leaves of test/data/ct-real.
    const items = jp.filter((i) => i < 163).map((i) => item(lease, i));
    assert.equal(items.length, 61);
    const r1 = await upload(app, items);
    assert.equal(r1.statusCode, 200, r1.body);
    // Two real certificates appear twice in the test data (same certificate in two files).
    assert.deepEqual(r1.json(), { received: 61, new_sightings: 61, new_certificates: 59, duplicates: 0, unparsable: 0 });
    const before = await snapshot(app);
    const r2 = await upload(app, items);
    assert.deepEqual(r2.json(), { received: 61, new_sightings: 0, new_certificates: 0, duplicates: 61, unparsable: 0 });
    assert.deepEqual(await snapshot(app), before);

    const lines = readFileSync(app.leafStore.pathFor(g.url), 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 61);
    assert.equal(lines[5], `${items[5].index}\t${items[5].leaf_input}`);

    const status = (await app.inject({ method: 'GET', url: '/api/v1/status?days=3660' })).json() as StatusResponse;
    assert.equal(status.totals.certificates, 59);
    assert.equal(status.totals.sightings, 61);
    assert.equal(
      status.daily.reduce((s, d) => s + d.sightings, 0),
      61,
    );
    assert.equal(
      status.daily.reduce((s, d) => s + d.certificates, 0),
      59,
    );
    // Daily counts use the leaf timestamp's UTC date: the test log stamps entry i at 2025-12-01 + i minutes.
    assert.deepEqual(
      status.daily.map((d) => [d.log_name, d.day]),
      [['g1', '2025-12-01']],
    );
    const row = await app.db.selectFrom('certificates').selectAll().where('leaf_index', '=', jp[0]).executeTakeFirstOrThrow();
    assert.equal(row.log_name, 'g1');
    assert.equal(row.friend_name, 'alice');
    const w = status.workers.find((x) => x.worker_id === 'w1')!;
    assert.equal(w.uploaded_items, 61);
  } finally {
    await env.cleanup();
  }
});

test('inside the upload transaction, uploaded items are added only to workers no audit has flagged; the others are named as refused', async () => {
  const { env, app } = await setup();
  try {
    const w = await app.db.selectFrom('workers').select('id').executeTakeFirstOrThrow();
    const add = (n: number) => inTransaction(app.db, (trx) => addUploadedItems(trx, new Map([[w.id, n]])));
    assert.deepEqual(await add(0), [], 'nothing new still checks the flag');
    assert.deepEqual(await add(2), []);
    await app.db.updateTable('workers').set({ flagged_at: new Date() }).where('id', '=', w.id).execute();
    assert.deepEqual(await add(3), [w.id]);
    assert.equal((await app.db.selectFrom('workers').select('uploaded_items').where('id', '=', w.id).executeTakeFirstOrThrow()).uploaded_items, 2);
  } finally {
    await env.cleanup();
  }
});

test('a precertificate and its final certificate are one row; cert_sha256 is null until the final one is seen', async () => {
  const { env, app, lease } = await setup();
  try {
    const p = jp.find((i) => decodeMerkleTreeLeaf(g.leaves[i]).entryType === 'precert_entry')!;
    assert.equal((await upload(app, [item(lease, p)])).json().new_certificates, 1);
    const pre = await app.db.selectFrom('certificates').selectAll().executeTakeFirstOrThrow();
    assert.equal(pre.cert_sha256, null);
    assert.equal(pre.seen_precert, 1);
    assert.equal(pre.seen_final, 0);
    const final = finalCertificateLeaf(g.leaves[p], decodeMerkleTreeLeaf(g.leaves[p]).timestamp + 5000);
    const r = await upload(app, [item(lease, 300, final.leaf)]);
    assert.deepEqual(r.json(), { received: 1, new_sightings: 1, new_certificates: 0, duplicates: 0, unparsable: 0 });
    const rows = await app.db.selectFrom('certificates').selectAll().execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0].cert_sha256?.toString('hex'), final.certSha256);
    assert.equal(rows[0].seen_final, 1);
    assert.equal(rows[0].seen_precert, 1);
    const sightings = await app.db.selectFrom('sightings').select(['leaf_index', 'certificate_id', 'entry_type']).orderBy('leaf_index').execute();
    assert.deepEqual(
      sightings.map((s) => [s.leaf_index, s.certificate_id, s.entry_type]),
      [
        [p, rows[0].id, 'precert_entry'],
        [300, rows[0].id, 'x509_entry'],
      ],
    );
    // Both in one request, the other way round, on fresh indexes: still one row.
    await upload(app, [item(lease, 301, final.leaf), item(lease, 302, g.leaves[p])]);
    assert.equal((await app.db.selectFrom('certificates').select('id').execute()).length, 1);
  } finally {
    await env.cleanup();
  }
});

test('a certificate keeps the earliest CT timestamp of all its sightings, whatever the order they arrive in', async () => {
  const c = await startTestLog({ name: 'c1', category: 'cloudflare', size: 400 });
  const env = await testManagerEnv(
    [
      catalogueEntry(g),
      catalogueEntry(c),
    ],
    { targetFraction: parseFraction('1/1'), assignmentSize: 384 },
  );
  try {
    const app = await env.build();
    await app.planner.planAll();
    const r = await app.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: 'w1', friend_name: 'alice', version: '0.1.0' } });
    const leases = new Map((r.json().assignments as Assignment[]).map((a) => [a.category, a]));
    const inG = (index: number, leaf: Buffer): UploadItem => item(leases.get('google')!, index, leaf);
    const inC = (index: number, leaf: Buffer): UploadItem => ({ ...item(leases.get('cloudflare')!, index, leaf), ct_log_url: c.url, log_name: c.name });
    // The same certificate as seen by two logs, an hour apart.
    const restamp = (leaf: Buffer, timestamp: number): Buffer => Buffer.from(encodeMerkleTreeLeaf({ ...decodeMerkleTreeLeaf(leaf), timestamp }));
    // The certificate's leaf_timestamp, found through one of its sightings.
    const stampOf = async (log: string, index: number): Promise<number> =>
      (
        await app.db
          .selectFrom('sightings')
          .innerJoin('logs', 'logs.id', 'sightings.log_id')
          .innerJoin('certificates', 'certificates.id', 'sightings.certificate_id')
          .select('certificates.leaf_timestamp')
          .where('logs.name', '=', log)
          .where('sightings.leaf_index', '=', index)
          .executeTakeFirstOrThrow()
      ).leaf_timestamp;

    // In two requests, the later sighting first (two .jp leaves, uploaded at indexes 3, 4 and 5).
    const [leaf3, leaf5] = [g.leaves[jp[0]], g.leaves[jp[1]]];
    const early = decodeMerkleTreeLeaf(leaf3).timestamp;
    const late = early + 3_600_000;
    assert.equal((await upload(app, [inC(3, restamp(leaf3, late))])).json().new_certificates, 1);
    assert.equal(await stampOf('c1', 3), late);
    assert.deepEqual((await upload(app, [inG(3, leaf3)])).json(), { received: 1, new_sightings: 1, new_certificates: 0, duplicates: 0, unparsable: 0 });
    assert.equal(await stampOf('c1', 3), early);
    assert.equal(await stampOf('g1', 3), early);
    // A later sighting afterwards leaves it alone; the same uploads again change nothing.
    await upload(app, [inC(4, restamp(leaf3, late + 1000))]);
    assert.equal(await stampOf('c1', 4), early);
    assert.equal((await upload(app, [inG(3, leaf3), inC(3, restamp(leaf3, late))])).json().duplicates, 2);
    assert.equal(await stampOf('g1', 3), early);
    const row = await app.db.selectFrom('certificates').select(['log_name', 'leaf_index']).where('leaf_timestamp', '=', early).executeTakeFirstOrThrow();
    assert.deepEqual(row, { log_name: 'c1', leaf_index: 3 }, 'the provenance columns stay those of the first stored sighting');

    // In one request, the later sighting first.
    const early5 = decodeMerkleTreeLeaf(leaf5).timestamp;
    const both = await upload(app, [inC(5, restamp(leaf5, early5 + 60_000)), inG(5, leaf5)]);
    assert.deepEqual(both.json(), { received: 2, new_sightings: 2, new_certificates: 1, duplicates: 0, unparsable: 0 });
    assert.equal(await stampOf('c1', 5), early5);
  } finally {
    await env.cleanup();
    await c.close();
  }
});

test('each bad upload gets a 4xx naming the problem and leaves every table unchanged', async () => {
  const { env, app, lease } = await setup();
  try {
    assert.equal((await upload(app, [item(lease, jp[0])])).statusCode, 200);
    const before = await snapshot(app);
    assert.ok(readFileSync(app.leafStore.pathFor(g.url), 'utf8').length > 0);
    const good = item(lease, jp[1]);
    const cases: [string, unknown, number, RegExp][] = [
      ['malformed base64', [good, { ...item(lease, 2), leaf_input: 'not*base64!' }], 400, /items\[1\]\.leaf_input: not valid base64/],
      ['leaf that does not decode', [good, { ...item(lease, 2), leaf_input: Buffer.from('hello, not a leaf').toString('base64') }], 422, /items\[1\]\.leaf_input \(log g1, index 2\) does not decode/],
      ['valid leaf covering no .jp name', [good, item(lease, notJp[0]), item(lease, jp[2])], 422, new RegExp(`^items\\[1\\]\\.leaf_input \\(log g1, index ${notJp[0]}\\): its certificate covers no \\.jp name`)],
      ['certificate that does not parse and shows no .jp name', [good, item(lease, 2, withCertificate(g.leaves[2], 'not a certificate at all'))], 422, /^items\[1\]\.leaf_input \(log g1, index 2\): its certificate does not parse \(.+\) and shows no \.jp name/],
      ['unknown log', [good, { ...item(lease, 2), log_name: 'nope' }], 422, /items\[1\]\.log_name: unknown log "nope"/],
      ['wrong log URL', [good, { ...item(lease, 2), ct_log_url: 'https://example.com/' }], 422, /items\[1\]\.ct_log_url/],
      ['missing field', [good, (({ index: _i, ...rest }) => rest)(item(lease, 2))], 400, /body\/1 must have required property 'index'/],
      ['mistyped field', [good, { ...item(lease, 2), index: '2' }], 400, /body\/1\/index must be integer/],
      ['negative index', [good, { ...item(lease, 2), index: -1 }], 400, /body\/1\/index must be >= 0/],
      ['unknown field', [good, { ...item(lease, 2), extra: 1 }], 400, /must NOT have additional properties: "extra"/],
      ['index outside the lease', [good, item(lease, 390)], 422, /items\[1\]\.index 390 is outside lease \d+ \[0, 383\]/],
      ['unknown lease', [good, { ...item(lease, 2), lease_id: 999999 }], 422, /items\[1\]\.lease_id 999999 does not exist/],
      ['name too long', [good, { ...item(lease, 2), friend_name: 'x'.repeat(65) }], 400, /friend_name must NOT have more than 64 characters/],
      ['same index twice, different leaves', [good, item(lease, jp[1], g.leaves[jp[2]])], 422, new RegExp(`repeats log g1 index ${jp[1]}`)],
      ['too many items', Array.from({ length: 1001 }, (_, i) => item(lease, i % 384)), 400, /must NOT have more than 1000 items/],
      ['empty array', [], 400, /must NOT have fewer than 1 items/],
      ['not an array', { items: [good] }, 400, /body must be array/],
    ];
    for (const [what, payload, status, message] of cases) {
      const r = await upload(app, payload);
      assert.equal(r.statusCode, status, `${what}: ${r.body}`);
      assert.match(r.json().message, message, what);
      if (what.includes('.jp')) assert.equal(r.json().code, 'NOT_JP', what);
      assert.deepEqual(await snapshot(app), before, `${what} changed a table or the leaf file`);
    }
    const notJson = await app.inject({ method: 'POST', url: '/api/v1/certificates', payload: '[{"leaf_input":', headers: { 'content-type': 'application/json' } });
    assert.equal(notJson.statusCode, 400);
    // The upload's body is read in the ingest thread: bodies that are not JSON get the very answer the other routes give.
    const proto = JSON.stringify([{ ...item(lease, 2) }]).replace('{', '{"__proto__":{"x":1},');
    for (const [what, payload, code] of [
      ['not JSON', '[{"leaf_input":', 'FST_ERR_CTP_INVALID_JSON_BODY'],
      ['empty', '', 'FST_ERR_CTP_EMPTY_JSON_BODY'],
      ['__proto__ key', proto, 'FST_ERR_CTP_INVALID_JSON_BODY'],
    ] as const) {
      const send = (url: string) => app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json; charset=utf-8' } });
      const [upload, other] = await Promise.all([send('/api/v1/certificates'), send('/api/v1/ping')]);
      assert.equal(upload.statusCode, 400, what);
      assert.equal(upload.json().code, code, what);
      assert.deepEqual(upload.json(), other.json(), `${what}: the upload and ping refuse it alike`);
    }
    const huge = await app.inject({ method: 'POST', url: '/api/v1/certificates', payload: `[{"leaf_input":"${'A'.repeat(33 * 1024 * 1024)}"}]`, headers: { 'content-type': 'application/json' } });
    assert.equal(huge.statusCode, 413);
    assert.deepEqual(await snapshot(app), before);
  } finally {
    await env.cleanup();
  }
});

test('a certificate that does not parse but may name a .jp domain is kept, as the worker keeps it', async () => {
  const { env, app, lease } = await setup();
  try {
    const odd = withCertificate(g.leaves[2], 'not a certificate: www.example.jp\x00');
    assert.equal(parseLeaf(odd).coversJp, true, "the worker's decision: it uploads this leaf");
    const r = await upload(app, [item(lease, 2, odd), item(lease, jp[0])]);
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), { received: 2, new_sightings: 2, new_certificates: 1, duplicates: 0, unparsable: 1 });
    const s = await app.db.selectFrom('sightings').select(['certificate_id', 'parse_error']).where('leaf_index', '=', 2).executeTakeFirstOrThrow();
    assert.equal(s.certificate_id, null);
    assert.match(s.parse_error ?? '', /unparsable/);
    const lines = readFileSync(app.leafStore.pathFor(g.url), 'utf8').trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => Number(l.split('\t')[0])),
      [2, jp[0]],
    );
  } finally {
    await env.cleanup();
  }
});

test('without --open, writes need a token of the same friend; status stays readable', async () => {
  const env = await testManagerEnv([catalogueEntry(g)], { targetFraction: parseFraction('1/1'), assignmentSize: 384, open: false });
  try {
    const app = await env.build();
    await app.planner.planAll();
    const token = await issueToken(app.db, 'alice', false);
    const admin = await issueToken(app.db, 'root', true);
    const ask = (headers: Record<string, string>, friend = 'alice') =>
      app.inject({ method: 'POST', url: '/api/v1/instructions', headers, payload: { worker_id: 'w1', friend_name: friend, version: '0.1.0' } });
    assert.equal((await ask({})).statusCode, 401);
    assert.equal((await ask({ authorization: 'Bearer wrong' })).statusCode, 401);
    assert.equal((await ask({ authorization: `Bearer ${token}` }, 'mallory')).statusCode, 403);
    assert.equal(await app.db.selectFrom('workers').select('id').executeTakeFirst(), undefined);
    const ok = await ask({ authorization: `Bearer ${token}` });
    assert.equal(ok.statusCode, 200);
    const lease = ok.json().assignments[0] as Assignment;
    assert.equal((await upload(app, [item(lease, jp[0])])).statusCode, 401);
    assert.equal((await upload(app, [{ ...item(lease, jp[0]), friend_name: 'bob' }], { authorization: `Bearer ${token}` })).statusCode, 403);
    assert.equal((await upload(app, [item(lease, jp[0])], { authorization: `Bearer ${token}` })).statusCode, 200);
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/ping', payload: { worker_id: 'w1', version: '0.1.0', leases: [] } })).statusCode, 401);
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/admin/directives', headers: { authorization: `Bearer ${token}` }, payload: { paused: true } })).statusCode, 403);
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/admin/directives', headers: { authorization: `Bearer ${admin}` }, payload: { paused: true } })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/status' })).statusCode, 200);
    const stored = await app.db.selectFrom('tokens').select('token_sha256').execute();
    assert.ok(stored.every((t) => t.token_sha256.length === 32 && !t.token_sha256.toString('latin1').includes(token)));
  } finally {
    await env.cleanup();
  }
});

test('the OpenAPI document describes every endpoint', async () => {
  const env = await testManagerEnv([catalogueEntry(g)]);
  try {
    const app = await env.build();
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    for (const path of ['/api/v1/instructions', '/api/v1/certificates', '/api/v1/status', '/api/v1/ping', '/api/v1/complete', '/api/v1/terminate', '/api/v1/workers/register', '/api/v1/admin/replan']) {
      assert.ok(doc.paths[path], path);
    }
    assert.equal((await app.inject({ method: 'GET', url: '/docs' })).statusCode < 400, true);
  } finally {
    await env.cleanup();
  }
});
