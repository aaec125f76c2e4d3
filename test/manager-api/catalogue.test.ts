/**
 * The log catalogue file: api, submission_url, temporal_interval and data_tiles (good and bad
 * entries, messages naming the entry), the checkpoint origin, and how the manager keeps them in
 * its logs table when the catalogue changes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHIVE_ZIP_ENTRIES, CatalogueError, checkpointOrigin, expandArchives, firstArchive, parseCatalogue } from '../../src/share/logs/catalogue.js';
import { withTestManager, type CatalogueEntry } from '../helpers/manager.js';
import type { StatusResponse } from '../../src/share/api/index.js';

const entry = { category: 'google', name: 'argon2027h1', url: 'https://ct.googleapis.com/logs/us1/argon2027h1' };
const tiled = {
  category: 'google',
  name: 'parcelyard2027h1',
  api: 'static-ct-api',
  url: 'https://storage.googleapis.com/parcelyard2027h1.prod.certificate.transparency.goog/',
  submission_url: 'https://parcelyard2027h1.prod.certificate.transparency.goog/',
};

const one = (e: Record<string, unknown>) => parseCatalogue({ logs: [e] }, 'logs.json').logs[0];

/** Parsing throws a CatalogueError whose message matches re. */
function refuses(e: Record<string, unknown>, re: RegExp): void {
  assert.throws(
    () => one(e),
    (err: Error) => {
      assert.ok(err instanceof CatalogueError, `${err.name}: ${err.message}`);
      assert.match(err.message, re);
      return true;
    },
  );
}

test('an entry without the new fields is an RFC 6962 log without submission URL, interval or data tiles', () => {
  const log = one(entry);
  assert.deepEqual(
    { api: log.api, url: log.url, submissionUrl: log.submissionUrl, temporalInterval: log.temporalInterval, dataTiles: log.dataTiles },
    { api: 'rfc6962', url: 'https://ct.googleapis.com/logs/us1/argon2027h1/', submissionUrl: null, temporalInterval: null, dataTiles: false },
  );
  assert.equal(checkpointOrigin(log), null);
  // null reads as absent.
  assert.equal(one({ ...entry, api: null, submission_url: null, temporal_interval: null, data_tiles: null }).api, 'rfc6962');
});

test('a static-ct-api entry: url is the monitoring prefix, the checkpoint origin comes from submission_url', () => {
  const log = one(tiled);
  assert.equal(log.api, 'static-ct-api');
  assert.equal(log.url, tiled.url);
  assert.equal(log.submissionUrl, tiled.submission_url);
  assert.equal(log.dataTiles, false);
  assert.equal(checkpointOrigin(log), 'parcelyard2027h1.prod.certificate.transparency.goog');
  // A path is part of the origin; the scheme and trailing slash are not; a missing slash is added to the base.
  const le = one({ ...tiled, submission_url: 'https://log.sycamore.ct.letsencrypt.org/2026h1', url: 'https://mon.sycamore.ct.letsencrypt.org/2026h1' });
  assert.equal(le.submissionUrl, 'https://log.sycamore.ct.letsencrypt.org/2026h1/');
  assert.equal(le.url, 'https://mon.sycamore.ct.letsencrypt.org/2026h1/');
  assert.equal(checkpointOrigin(le), 'log.sycamore.ct.letsencrypt.org/2026h1');
  // Without submission_url the origin is unknown (a reader has only the checkpoint's own origin line).
  const { submission_url: _omitted, ...bare } = tiled;
  assert.equal(checkpointOrigin(one(bare)), null);
  // An RFC 6962 log may name its submission URL too; it carries no checkpoint origin.
  const r = one({ ...entry, submission_url: 'https://ct.googleapis.com/logs/us1/argon2027h1/' });
  assert.equal(r.submissionUrl, 'https://ct.googleapis.com/logs/us1/argon2027h1/');
  assert.equal(checkpointOrigin(r), null);
  assert.equal(one({ ...entry, api: 'rfc6962' }).api, 'rfc6962');
});

test('temporal_interval is read as two dates, start before end', () => {
  const log = one({ ...entry, temporal_interval: { start_inclusive: '2027-01-01T00:00:00Z', end_exclusive: '2027-07-01T00:00:00Z' } });
  assert.deepEqual(log.temporalInterval, { start: new Date('2027-01-01T00:00:00Z'), end: new Date('2027-07-01T00:00:00Z') });
  const offset = one({ ...entry, temporal_interval: { start_inclusive: '2027-01-01T09:00:00.5+09:00', end_exclusive: '2027-07-01T00:00:00Z' } });
  assert.equal(offset.temporalInterval!.start.toISOString(), '2027-01-01T00:00:00.500Z');
});

test('data_tiles marks an RFC 6962 log that also serves data tiles', () => {
  assert.equal(one({ ...entry, data_tiles: true }).dataTiles, true);
  assert.equal(one({ ...entry, api: 'rfc6962', data_tiles: false }).dataTiles, false);
});

test('bad entries are refused with a message naming the entry and the field', () => {
  const named = (field: string, what: string) => new RegExp(`^logs\\.json: logs\\[0\\]\\.${field.replace(/\./g, '\\.')}.*${what}.*\\(log "(argon2027h1|parcelyard2027h1)"\\)$`);
  refuses({ ...entry, api: 'tiles' }, named('api', 'must be "rfc6962" or "static-ct-api", not "tiles"'));
  refuses({ ...entry, api: 6962 }, named('api', 'not 6962'));
  refuses({ ...entry, api: 'RFC6962' }, named('api', 'not "RFC6962"'));
  refuses({ ...tiled, submission_url: 'ftp://log.example/' }, named('submission_url', 'must be http\\(s\\)'));
  refuses({ ...tiled, submission_url: 'log.example/2026h1' }, named('submission_url', 'is not a URL'));
  refuses({ ...tiled, submission_url: 42 }, named('submission_url', 'must be a URL string'));
  refuses({ ...tiled, submission_url: 'https://log.example/?x=1' }, named('submission_url', 'must not have a query or fragment'));
  refuses({ ...tiled, url: 'https://log.example/#frag' }, named('url', 'must not have a query or fragment'));
  refuses({ ...tiled, data_tiles: true }, named('data_tiles', 'only for "rfc6962" logs'));
  refuses({ ...tiled, data_tiles: false }, named('data_tiles', 'only for "rfc6962" logs'));
  refuses({ ...entry, data_tiles: 'yes' }, named('data_tiles', 'must be true or false'));
  refuses({ ...entry, temporal_interval: '2027h1' }, named('temporal_interval', 'must be an object'));
  refuses({ ...entry, temporal_interval: [] }, named('temporal_interval', 'must be an object'));
  refuses({ ...entry, temporal_interval: { start_inclusive: '2027-01-01T00:00:00Z' } }, named('temporal_interval.end_exclusive', 'ISO 8601 date-time'));
  refuses({ ...entry, temporal_interval: { start_inclusive: '2027-01-01', end_exclusive: '2027-07-01T00:00:00Z' } }, named('temporal_interval.start_inclusive', 'not "2027-01-01"'));
  refuses({ ...entry, temporal_interval: { start_inclusive: '2027-13-01T00:00:00Z', end_exclusive: '2028-07-01T00:00:00Z' } }, named('temporal_interval.start_inclusive', 'ISO 8601'));
  refuses({ ...entry, temporal_interval: { start_inclusive: '2027-02-30T00:00:00Z', end_exclusive: '2028-07-01T00:00:00Z' } }, named('temporal_interval.start_inclusive', 'not "2027-02-30T00:00:00Z"'));
  refuses({ ...entry, temporal_interval: { start_inclusive: 1798761600000, end_exclusive: '2027-07-01T00:00:00Z' } }, named('temporal_interval.start_inclusive', 'ISO 8601'));
  refuses(
    { ...entry, temporal_interval: { start_inclusive: '2027-07-01T00:00:00Z', end_exclusive: '2027-01-01T00:00:00Z' } },
    /logs\[0\]\.temporal_interval: start_inclusive 2027-07-01T00:00:00\.000Z is not before end_exclusive 2027-01-01T00:00:00\.000Z \(log "argon2027h1"\)/,
  );
  refuses({ ...entry, temporal_interval: { start_inclusive: '2027-01-01T00:00:00Z', end_exclusive: '2027-01-01T00:00:00Z' } }, /is not before end_exclusive/);
  // The entry is named by its place and its name, whichever it is.
  assert.throws(() => parseCatalogue({ logs: [entry, { ...tiled, api: 'static' }] }, 'logs.json'), /logs\.json: logs\[1\]\.api must be .* \(log "parcelyard2027h1"\)/);
});

test('the logs table follows the catalogue: api, submission URL and origin, data tiles and interval, also when an entry changes', async () => {
  const logs: CatalogueEntry[] = [
    { ...tiled, api: 'static-ct-api', temporal_interval: { start_inclusive: '2027-01-01T00:00:00Z', end_exclusive: '2027-07-01T00:00:00Z' } },
    { ...entry, data_tiles: true },
  ];
  await withTestManager(logs, {}, async (env) => {
    const app = await env.build();
    const columns = ['name', 'api', 'url', 'submission_url', 'checkpoint_origin', 'data_tiles', 'temporal_interval_start', 'temporal_interval_end'] as const;
    const rows = () => app.db.selectFrom('logs').select(columns).orderBy('name').execute();
    assert.deepEqual(await rows(), [
      { name: 'argon2027h1', api: 'rfc6962', url: 'https://ct.googleapis.com/logs/us1/argon2027h1/', submission_url: null, checkpoint_origin: null, data_tiles: 1, temporal_interval_start: null, temporal_interval_end: null },
      {
        name: 'parcelyard2027h1',
        api: 'static-ct-api',
        url: tiled.url,
        submission_url: tiled.submission_url,
        checkpoint_origin: 'parcelyard2027h1.prod.certificate.transparency.goog',
        data_tiles: 0,
        temporal_interval_start: new Date('2027-01-01T00:00:00Z'),
        temporal_interval_end: new Date('2027-07-01T00:00:00Z'),
      },
    ]);
    const status = (await app.inject({ method: 'GET', url: '/api/v1/status' })).json() as StatusResponse;
    assert.deepEqual(
      status.logs.map((l) => [l.name, l.api, l.data_tiles]),
      [['argon2027h1', 'rfc6962', true], ['parcelyard2027h1', 'static-ct-api', false]],
    );

    // The catalogue changes: the tiled log moves its submission prefix and loses its interval, the other stops serving tiles.
    const file = join(env.dir, 'logs-changed.json');
    writeFileSync(file, JSON.stringify({ logs: [{ ...tiled, submission_url: 'https://py.example/2027h1/' }, entry] }));
    const changed = await env.build({}, { logsFile: file });
    assert.deepEqual(
      (await changed.db.selectFrom('logs').select(columns).orderBy('name').execute()).map((r) => [r.name, r.api, r.submission_url, r.checkpoint_origin, r.data_tiles, r.temporal_interval_start, r.temporal_interval_end]),
      [
        ['argon2027h1', 'rfc6962', null, null, 0, null, null],
        ['parcelyard2027h1', 'static-ct-api', 'https://py.example/2027h1/', 'py.example/2027h1', 0, null, null],
      ],
    );
  });
});

test('page_size, min_interval_ms and final_tree_head: read when given, checked, null when absent', () => {
  const log = one({ ...entry, page_size: 32, min_interval_ms: 0, final_tree_head: { tree_size: 57634084, sha256_root_hash: 'vJHecZC18lG3qp9lV2jZoi+7nkPHQx2SmM4VWglNsIk=' } });
  assert.deepEqual([log.pageSize, log.minIntervalMs, log.finalTreeHead], [32, 0, { treeSize: 57634084, rootHash: 'vJHecZC18lG3qp9lV2jZoi+7nkPHQx2SmM4VWglNsIk=' }]);
  const bare = one(entry);
  assert.deepEqual([bare.pageSize, bare.minIntervalMs, bare.finalTreeHead], [null, null, null]);
  assert.equal(one({ ...entry, page_size: 10000, min_interval_ms: 3_600_000 }).pageSize, 10000);
  const named = (field: string, what: string) => new RegExp(`^logs\\.json: logs\\[0\\]\\.${field.replace(/\./g, '\\.')} ${what} \\(log "argon2027h1"\\)$`);
  refuses({ ...entry, page_size: 0 }, named('page_size', 'must be a whole number in \\[1, 10000\\], not 0'));
  refuses({ ...entry, page_size: 10001 }, named('page_size', 'must be a whole number in \\[1, 10000\\], not 10001'));
  refuses({ ...entry, page_size: 32.5 }, named('page_size', 'must be a whole number in \\[1, 10000\\], not 32.5'));
  refuses({ ...entry, page_size: '32' }, named('page_size', 'must be a whole number in \\[1, 10000\\], not "32"'));
  refuses({ ...entry, min_interval_ms: -1 }, named('min_interval_ms', 'must be a whole number in \\[0, 3600000\\], not -1'));
  refuses({ ...entry, min_interval_ms: 3_600_001 }, named('min_interval_ms', 'must be a whole number in \\[0, 3600000\\], not 3600001'));
  refuses({ ...entry, final_tree_head: 5 }, named('final_tree_head', 'must be an object .*'));
  refuses({ ...entry, final_tree_head: { sha256_root_hash: 'vJHecZC18lG3qp9lV2jZoi+7nkPHQx2SmM4VWglNsIk=' } }, named('final_tree_head.tree_size', 'is missing'));
  refuses({ ...entry, final_tree_head: { tree_size: 1, sha256_root_hash: 'abc' } }, named('final_tree_head.sha256_root_hash', 'must be the base64 of 32 bytes'));
  // A browser log list given as a catalogue is recognised.
  assert.throws(() => parseCatalogue({ operators: [] }, 'list.json'), /list\.json: expected an object with a "logs" array \(this is a browser log list with "operators": give it with --log-list\)/);
});

test('the logs table takes page_size and min_interval_ms from the catalogue, and keeps what it has when an entry gives none', async () => {
  await withTestManager([{ ...entry, page_size: 64, min_interval_ms: 500 } as CatalogueEntry], {}, async (env) => {
    const app = await env.build();
    const row = () => app.db.selectFrom('logs').select(['page_size', 'min_interval_ms']).executeTakeFirstOrThrow();
    assert.deepEqual(await row(), { page_size: 64, min_interval_ms: 500 });
    // An admin slow-down lasts until the next sync of a catalogue that sets the field.
    await app.inject({ method: 'POST', url: '/api/v1/admin/directives', payload: { slow_logs: [{ log_name: 'argon2027h1', min_interval_ms: 2000 }] } });
    assert.deepEqual(await row(), { page_size: 64, min_interval_ms: 2000 });
    await app.planner.syncCatalogue();
    assert.deepEqual(await row(), { page_size: 64, min_interval_ms: 500 });
    // Without the fields, the row keeps its values (a probed page size, an admin's interval).
    const file = join(env.dir, 'logs-bare.json');
    writeFileSync(file, JSON.stringify({ logs: [entry] }));
    await env.build({}, { logsFile: file });
    assert.deepEqual(await row(), { page_size: 64, min_interval_ms: 500 });
  });
});

test('a bad catalogue stops the manager at start-up with the reason, and leaves no database connection open', async () => {
  await withTestManager([], {}, async (env) => {
    const file = join(env.dir, 'bad-logs.json');
    writeFileSync(file, JSON.stringify({ logs: [{ category: 'google', name: 'x', url: 'ftp://nowhere/' }] }));
    await assert.rejects(env.build({}, { logsFile: file }), (e: Error) => e instanceof CatalogueError && /url must be http\(s\)/.test(e.message));
  });
  // A pool left open would keep this test file running until its timeout.
});

test('mirrors and archives: bases and zip URLs, one templated URL for every zip, refused with the entry named when wrong', () => {
  const log = one({ ...entry, shut_down: true, mirrors: ['https://ct.googleapis.com/logs/us1/mirrors/google_argon2027h1'], archives: ['https://archive.example/ct_google_argon2027h1/{n}.zip'] });
  assert.deepEqual(log.mirrors, ['https://ct.googleapis.com/logs/us1/mirrors/google_argon2027h1/']);
  assert.deepEqual(log.archives, ['https://archive.example/ct_google_argon2027h1/{n}.zip']);
  assert.deepEqual(one(entry).mirrors, []);
  assert.deepEqual(one(entry).archives, []);
  refuses({ ...entry, mirrors: [entry.url] }, /logs\[0\]\.mirrors\[0\] is the log's own url \(log "argon2027h1"\)/);
  refuses({ ...entry, mirrors: ['https://m.example/a/', 'https://m.example/a'] }, /mirrors\[1\] https:\/\/m\.example\/a\/ appears twice/);
  refuses({ ...entry, mirrors: 'https://m.example/' }, /mirrors must be an array/);
  refuses({ ...entry, mirrors: ['ftp://m.example/'] }, /mirrors\[0\] must be http\(s\)/);
  refuses({ ...entry, archives: ['https://a.example/{n}.zip', 'https://a.example/001.zip'] }, /a URL with \{n\} stands for every zip and must be the only one/);
  refuses({ ...entry, archives: ['https://a.example/000.zip#x'] }, /archives\[0\] must not have a fragment/);
  refuses({ ...entry, archives: [42] }, /archives\[0\] must be a URL string/);

  // A tree of 256³·2 + 1 entries takes three zips.
  const size = 2 * ARCHIVE_ZIP_ENTRIES + 1;
  assert.deepEqual(expandArchives(['https://a.example/x/{n}.zip'], size), ['https://a.example/x/000.zip', 'https://a.example/x/001.zip', 'https://a.example/x/002.zip']);
  assert.deepEqual(expandArchives(['https://a.example/x/{n}.zip'], 5), ['https://a.example/x/000.zip']);
  assert.deepEqual(expandArchives(['https://a/0.zip', 'https://a/1.zip'], ARCHIVE_ZIP_ENTRIES + 5), ['https://a/0.zip', 'https://a/1.zip']);
  assert.throws(() => expandArchives(['https://a/0.zip'], ARCHIVE_ZIP_ENTRIES + 5), /the archive lists 1 zip\(s\), but its checkpoint of 16777221 entries needs 2/);
  assert.equal(firstArchive(['https://a.example/x/{n}.zip']), 'https://a.example/x/000.zip');
});
