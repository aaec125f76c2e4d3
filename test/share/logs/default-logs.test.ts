/**
 * The built-in catalogue (src/share/logs/default-logs.json): what tools/build-catalogue.ts makes of
 * the real log lists in test/data/log-lists; the mission's 45 logs as they were, every key the one
 * the lists give for that URL, and the shards added for this winter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DEFAULT_CATALOGUE_FILE, loadCatalogue } from '../../../src/share/logs/catalogue.js';
import { loadLogListSync } from '../../../src/share/logs/log-list.js';
import { buildCatalogue, catalogueText, DEFAULT_PATHS, readInputs } from '../../../tools/build-catalogue.js';
import { logsForWindow } from '../../../src/share/logs/window.js';
import { parseWindow } from '../../../src/manager-api/config.js';

const MISSION: Record<string, string[]> = {
  cloudflare: ['nimbus2022', 'nimbus2023', 'nimbus2024', 'nimbus2025', 'nimbus2026'],
  google: ['argon2022', 'argon2023', 'xenon2024', 'xenon2025h1', 'xenon2025h2', 'xenon2026h1', 'xenon2026h2', 'argon2024', 'argon2025h1', 'argon2025h2', 'argon2026h1', 'argon2026h2', 'xenon2022', 'xenon2023'],
  trustasia: ['log2024', 'log2025a', 'log2025b', 'log2026a', 'log2026b'],
  digicert: [
    'nessie2022', 'nessie2023', 'nessie2024', 'nessie2025', 'sphinx2024h1', 'sphinx2024h2', 'sphinx2025h1', 'sphinx2025h2', 'sphinx2026h1', 'sphinx2026h2',
    'wyvern2024h1', 'wyvern2024h2', 'wyvern2025h1', 'wyvern2025h2', 'wyvern2026h1', 'wyvern2026h2', 'yeti2022-2', 'yeti2022', 'yeti2023', 'yeti2024', 'yeti2025',
  ],
};
const ADDED = [
  'argon2027h1', 'parcelyard2026h2', 'parcelyard2027h1', 'parcelyard2027h2', 'plumbersarms2026h2', 'plumbersarms2027h1', 'plumbersarms2027h2', 'xenon2027h1',
  'nimbus2027', 'raio2026h2a', 'raio2027h1a', 'raio2027h2a',
  'sphinx2027h1', 'sphinx2027h2', 'wyvern2027h1', 'wyvern2027h2',
  'hetu2027', 'luoshu2027',
  'sycamore2026h2', 'sycamore2027h1', 'sycamore2027h2', 'willow2026h2', 'willow2027h1', 'willow2027h2',
  'elephant2026h2', 'elephant2027h1', 'elephant2027h2', 'tiger2026h2', 'tiger2027h1', 'tiger2027h2',
  'tuscolo2026h2', 'tuscolo2027h1', 'tuscolo2027h2',
  'gouda2026h2', 'gouda2027h1', 'gouda2027h2', 'halloumi2026h2a', 'halloumi2027h1', 'halloumi2027h2',
];

test('default-logs.json is what npm run build:catalogue makes of the lists (a rebuild changes nothing)', () => {
  const inputs = readInputs(DEFAULT_PATHS);
  assert.equal(catalogueText(buildCatalogue(inputs)), readFileSync(DEFAULT_CATALOGUE_FILE, 'utf8'));
  // From the mission's 45 logs alone, the same file comes out, with these added.
  const mission = JSON.parse(inputs.current) as { logs: { name: string }[] };
  const original = { logs: mission.logs.slice(0, 45).map((l) => ({ ...l, temporal_interval: undefined, page_size: undefined })) };
  const rebuilt = buildCatalogue({ ...inputs, current: JSON.stringify(original) });
  assert.deepEqual(rebuilt.added, ADDED);
  assert.equal(catalogueText(rebuilt), inputs.current);
});

test("the built-in catalogue: the mission's 45 logs first, as they were, then this winter's shards of eight operators", () => {
  const logs = loadCatalogue(null).logs;
  assert.equal(logs.length, 45 + ADDED.length);
  const first = logs.slice(0, 45);
  const byCategory = (list: typeof logs) => list.reduce<Record<string, string[]>>((m, l) => ({ ...m, [l.category]: [...(m[l.category] ?? []), l.name] }), {});
  assert.deepEqual(byCategory(first), MISSION);
  assert.ok(first.every((l) => l.api === 'rfc6962' && !l.dataTiles && l.temporalInterval !== null));
  assert.deepEqual(logs.slice(45).map((l) => l.name), ADDED);
  assert.deepEqual(Object.keys(byCategory(logs.slice(45))), ['google', 'cloudflare', 'digicert', 'trustasia', 'lets-encrypt', 'sectigo', 'geomys', 'ipng']);
  assert.ok(logs.slice(45).every((l) => !l.shutDown));

  // Every key is the one the lists give for the log's URL (log_id = SHA-256 of the key).
  const listed = new Map<string, string>();
  for (const file of [DEFAULT_PATHS.apple, DEFAULT_PATHS.chrome]) {
    const body = JSON.parse(readFileSync(file, 'utf8')) as { operators: { logs?: Record<string, string>[]; tiled_logs?: Record<string, string>[] }[] };
    for (const op of body.operators) for (const l of [...(op.logs ?? []), ...(op.tiled_logs ?? [])]) listed.set(l.url ?? l.monitoring_url, l.log_id);
  }
  for (const l of logs) assert.equal(createHash('sha256').update(Buffer.from(l.key!, 'base64')).digest('base64'), listed.get(l.url), l.name);

  // Page sizes: Google and TrustAsia 32, Cloudflare, DigiCert and Sectigo 256; none on tiled logs.
  const sizes = new Map<string, Set<number | null>>();
  for (const l of logs) sizes.set(`${l.category}/${l.api}`, (sizes.get(`${l.category}/${l.api}`) ?? new Set()).add(l.pageSize));
  assert.deepEqual(Object.fromEntries([...sizes].map(([k, v]) => [k, [...v]])), {
    'cloudflare/rfc6962': [256],
    'google/rfc6962': [32],
    'trustasia/rfc6962': [32],
    'digicert/rfc6962': [256],
    'google/static-ct-api': [null],
    'cloudflare/static-ct-api': [null],
    'trustasia/static-ct-api': [null],
    'lets-encrypt/static-ct-api': [null],
    'sectigo/rfc6962': [256],
    'geomys/static-ct-api': [null],
    'ipng/static-ct-api': [null],
  });
});

test('with --window 2026-12-01/2027-01-31 the built-in catalogue keeps the shards that can hold this winter (as a log list would)', () => {
  const logs = loadCatalogue(null).logs;
  const kept = logsForWindow(logs, parseWindow('2026-12-01/2027-01-31')).map((l) => l.name);
  assert.deepEqual(kept, ['nimbus2026', 'xenon2026h2', 'argon2026h2', 'log2026a', 'log2026b', 'sphinx2026h2', 'wyvern2026h2', ...ADDED]);
  // The same shards as Chrome's list and Apple's Raio give for the window, less those not built in
  // (Sectigo's read-only Mammoth/Sabre 2026h2 and Let's Encrypt's retired Oak2026h2).
  const chrome = logsForWindow(loadLogListSync({ list: DEFAULT_PATHS.chrome }).catalogue.logs, parseWindow('2026-12-01/2027-01-31')).map((l) => l.name);
  assert.deepEqual(
    chrome.filter((n) => !kept.includes(n)).sort(),
    ['mammoth2026h2', 'oak2026h2', 'sabre2026h2'],
  );
  assert.deepEqual(
    kept.filter((n) => !chrome.includes(n)),
    ['raio2026h2a', 'raio2027h1a', 'raio2027h2a'],
  );
});

test("the mission's shut-down shards are read from Google's mirrors and the archives, except the two that are lost", () => {
  const shut = loadCatalogue(null).logs.filter((l) => l.shutDown);
  assert.equal(shut.length, 19);
  const lost = shut.filter((l) => l.mirrors.length === 0 && l.archives.length === 0).map((l) => l.name);
  assert.deepEqual(lost.sort(), ['nessie2024', 'yeti2024']);
  const mirrored = shut.filter((l) => l.mirrors.length > 0).map((l) => l.name);
  assert.deepEqual(mirrored.sort(), ['nessie2022', 'nessie2023', 'nimbus2022', 'nimbus2023', 'nimbus2024', 'sphinx2024h1', 'sphinx2024h2', 'wyvern2024h1', 'wyvern2024h2', 'yeti2022', 'yeti2022-2', 'yeti2023']);
  for (const l of shut) {
    for (const m of l.mirrors) assert.match(m, /^https:\/\/ct\.googleapis\.com\/logs\/(us1|eu1)\/mirrors\/(cloudflare|digicert)_[a-z0-9_]+\/$/, l.name);
    for (const a of l.archives) assert.match(a, /^https:\/\/archive\.org\/download\/ct_(cloudflare|digicert|trustasia)_[a-z0-9_]+\/\{n\}\.zip$/, l.name);
  }
  assert.equal(shut.filter((l) => l.archives.length > 0).length, 17);
  // The archive item of a name with a dash uses an underscore, as the archive names it.
  assert.deepEqual(shut.find((l) => l.name === 'yeti2022-2')!.archives, ['https://archive.org/download/ct_digicert_yeti2022_2/{n}.zip']);
});
