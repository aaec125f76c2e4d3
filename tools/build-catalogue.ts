/**
 * Builds the built-in catalogue, src/share/logs/default-logs.json, from the browsers' log lists
 * (test/data/log-lists/: Chrome's all_logs_list.json, its signature checked, and Apple's list) and
 * the current built-in catalogue:
 *
 * - the mission's logs already there stay as they are (category, name, URL, key, shut_down); each
 *   gains its temporal_interval from the lists (found by URL, key checked) and, for an RFC 6962
 *   log, its operator's get-entries page size;
 * - every usable or qualified shard of Google, Cloudflare, DigiCert and TrustAsia, and of Let's
 *   Encrypt, Sectigo, Geomys and IPng, whose temporal interval overlaps [2026-12-01, 2028-01-01)
 *   — the shards holding certificates that expire from December 2026 through 2027, which is
 *   where this winter's certificates (issued 2026-12-01/2027-01-31) go — is added, RFC 6962 and
 *   tiled. Chrome's list decides for the logs it names; Apple's adds the logs Chrome's omits
 *   (Cloudflare's Raio tiled logs).
 *
 * - the mission's shut-down shards gain the mirrors and archives the CT log archive project
 *   names for them (SHUT_DOWN_ELSEWHERE); those with neither stay as they are: lost.
 *
 *   npm run build:catalogue                 rewrite src/share/logs/default-logs.json
 *   npm run build:catalogue -- --check      exit 1 when the file is not what the lists give
 *   options: --chrome FILE --chrome-sig FILE --chrome-key FILE --apple FILE --current FILE --out FILE
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { catalogueFileEntry, parseCatalogue, type CatalogueFileEntry } from '../src/share/logs/catalogue.js';
import { OPERATOR_PAGE_SIZES, readLogListBytes, type LogListReading, type LogListState } from '../src/share/logs/log-list.js';

const root = join(import.meta.dirname, '..');
const LISTS = join(root, 'test', 'data', 'log-lists');
export const DEFAULT_PATHS = {
  chrome: join(LISTS, 'all_logs_list.json'),
  chromeSig: join(LISTS, 'all_logs_list.sig'),
  chromeKey: join(LISTS, 'log_list_pubkey.pem'),
  apple: join(LISTS, 'apple_current_log_list.json'),
  current: join(root, 'src', 'share', 'logs', 'default-logs.json'),
};

/** Operators whose shards are added, by category, in the order they are written. */
export const OPERATORS = ['google', 'cloudflare', 'digicert', 'trustasia', 'lets-encrypt', 'sectigo', 'geomys', 'ipng'] as const;
/** The shards added are those whose temporal interval overlaps this expiry span. */
export const EXPIRY_SPAN = { start: new Date('2026-12-01T00:00:00Z'), end: new Date('2028-01-01T00:00:00Z') };
/** States of the shards added: taking certificates now. */
const ADDED_STATES: readonly LogListState[] = ['usable', 'qualified'];
/** IPng is "IPng Networks" in Chrome's list and "IPng GmbH" in Apple's. */
const CATEGORIES = { 'IPng Networks': 'ipng', 'IPng GmbH': 'ipng' };

export interface BuildInputs {
  chrome: Buffer;
  /** Signature and PEM key of Chrome's list; both or neither. */
  chromeSig: Buffer | null;
  chromeKey: Buffer | null;
  apple: Buffer;
  /** The current built-in catalogue (JSON text). */
  current: string;
}

export interface BuildResult {
  logs: CatalogueFileEntry[];
  /** Names of the logs added to the current ones. */
  added: string[];
}

const base = (url: string): string => (url.endsWith('/') ? url : `${url}/`);

const googleMirror = (region: 'us1' | 'eu1', name: string): string => `https://ct.googleapis.com/logs/${region}/mirrors/${name}/`;
const internetArchive = (item: string): string => `https://archive.org/download/${item}/{n}.zip`;

/**
 * Where the mission's shut-down shards can still be read, by their own URL: Google's read mirrors
 * (RFC 6962 read API) and the zip archives on the Internet Archive, one item `ct_<operator>_<name>`
 * per log with zips 000.zip, 001.zip, … (geomys/ct-archive, README, logs.txt and progress.txt,
 * December 2025 – March 2026). Yeti2024 and Nessie2024 are missing from both: lost.
 */
export const SHUT_DOWN_ELSEWHERE: Record<string, { mirrors?: string[]; archives?: string[] }> = {
  'https://ct.cloudflare.com/logs/nimbus2022/': { mirrors: [googleMirror('us1', 'cloudflare_nimbus2022')], archives: [internetArchive('ct_cloudflare_nimbus2022')] },
  'https://ct.cloudflare.com/logs/nimbus2023/': { mirrors: [googleMirror('us1', 'cloudflare_nimbus2023')], archives: [internetArchive('ct_cloudflare_nimbus2023')] },
  'https://ct.cloudflare.com/logs/nimbus2024/': { mirrors: [googleMirror('us1', 'cloudflare_nimbus2024')], archives: [internetArchive('ct_cloudflare_nimbus2024')] },
  'https://nessie2022.ct.digicert.com/log/': { mirrors: [googleMirror('us1', 'digicert_nessie2022')], archives: [internetArchive('ct_digicert_nessie2022')] },
  'https://nessie2023.ct.digicert.com/log/': { mirrors: [googleMirror('us1', 'digicert_nessie2023')], archives: [internetArchive('ct_digicert_nessie2023')] },
  'https://nessie2025.ct.digicert.com/log/': { archives: [internetArchive('ct_digicert_nessie2025')] },
  'https://yeti2022.ct.digicert.com/log/': { mirrors: [googleMirror('eu1', 'digicert_yeti2022')], archives: [internetArchive('ct_digicert_yeti2022')] },
  'https://yeti2022-2.ct.digicert.com/log/': { mirrors: [googleMirror('eu1', 'digicert_yeti2022_2')], archives: [internetArchive('ct_digicert_yeti2022_2')] },
  'https://yeti2023.ct.digicert.com/log/': { mirrors: [googleMirror('eu1', 'digicert_yeti2023')], archives: [internetArchive('ct_digicert_yeti2023')] },
  'https://yeti2025.ct.digicert.com/log/': { archives: [internetArchive('ct_digicert_yeti2025')] },
  'https://sphinx.ct.digicert.com/2024h1/': { mirrors: [googleMirror('us1', 'digicert_sphinx2024h1')], archives: [internetArchive('ct_digicert_sphinx2024h1')] },
  'https://sphinx.ct.digicert.com/2024h2/': { mirrors: [googleMirror('us1', 'digicert_sphinx2024h2')], archives: [internetArchive('ct_digicert_sphinx2024h2')] },
  'https://sphinx.ct.digicert.com/2025h1/': { archives: [internetArchive('ct_digicert_sphinx2025h1')] },
  'https://wyvern.ct.digicert.com/2024h1/': { mirrors: [googleMirror('eu1', 'digicert_wyvern2024h1')], archives: [internetArchive('ct_digicert_wyvern2024h1')] },
  'https://wyvern.ct.digicert.com/2024h2/': { mirrors: [googleMirror('eu1', 'digicert_wyvern2024h2')], archives: [internetArchive('ct_digicert_wyvern2024h2')] },
  'https://wyvern.ct.digicert.com/2025h1/': { archives: [internetArchive('ct_digicert_wyvern2025h1')] },
  'https://ct2024.trustasia.com/log2024/': { archives: [internetArchive('ct_trustasia_log2024')] },
};

interface Listed {
  entry: CatalogueFileEntry;
  state: LogListState | null;
  list: 'chrome' | 'apple';
}

function listed(reading: LogListReading, list: 'chrome' | 'apple'): Listed[] {
  const stateByName = new Map(reading.logs.map((l) => [l.name, l.state]));
  return reading.entries.map((entry) => ({ entry, state: stateByName.get(entry.name) ?? null, list }));
}

export function buildCatalogue(inputs: BuildInputs): BuildResult {
  // Every log with a state and an interval, rejected and pending ones too: the mission's older shards are rejected by now.
  const all: LogListState[] = ['pending', 'rejected'];
  const chrome = readLogListBytes(inputs.chrome, { list: 'all_logs_list.json', extraStates: all, categories: CATEGORIES }, inputs.chromeSig, inputs.chromeKey);
  const apple = readLogListBytes(inputs.apple, { list: 'apple_current_log_list.json', extraStates: all, categories: CATEGORIES }, null, null);
  if (chrome.kind !== 'chrome') throw new Error('the Chrome list is not a Chrome log list');
  if (apple.kind !== 'apple') throw new Error("the Apple list is not Apple's log list");
  const chromeLogs = listed(chrome, 'chrome');
  const appleLogs = listed(apple, 'apple');
  const chromeUrls = new Set(chromeLogs.map((l) => base(l.entry.url)));
  const byUrl = new Map<string, Listed>();
  for (const l of [...appleLogs, ...chromeLogs]) byUrl.set(base(l.entry.url), l); // Chrome's entry wins

  const current = parseCatalogue(JSON.parse(inputs.current), 'current catalogue');
  const logs: CatalogueFileEntry[] = current.logs.map((log) => {
    const found = byUrl.get(base(log.url));
    if (!found) throw new Error(`current log ${log.name} (${log.url}) is in neither list`);
    if (log.key !== null && found.entry.key !== log.key) throw new Error(`current log ${log.name}: its key differs from the ${found.list} list's`);
    const interval = found.entry.temporal_interval!;
    const pageSize = log.api === 'rfc6962' ? (log.pageSize ?? OPERATOR_PAGE_SIZES[log.category] ?? null) : log.pageSize;
    const elsewhere = log.shutDown ? SHUT_DOWN_ELSEWHERE[base(log.url)] : undefined;
    return catalogueFileEntry({
      ...log,
      temporalInterval: log.temporalInterval ?? { start: new Date(interval.start_inclusive), end: new Date(interval.end_exclusive) },
      pageSize,
      mirrors: elsewhere?.mirrors ?? log.mirrors,
      archives: elsewhere?.archives ?? log.archives,
    });
  });

  const taken = new Set(logs.map((l) => base(l.url)));
  const names = new Set(logs.map((l) => l.name));
  const overlaps = (e: CatalogueFileEntry): boolean => Date.parse(e.temporal_interval!.start_inclusive) < EXPIRY_SPAN.end.getTime() && Date.parse(e.temporal_interval!.end_exclusive) > EXPIRY_SPAN.start.getTime();
  const candidates = [...chromeLogs, ...appleLogs.filter((l) => !chromeUrls.has(base(l.entry.url)))].filter(
    (l) => (OPERATORS as readonly string[]).includes(l.entry.category) && l.state !== null && ADDED_STATES.includes(l.state) && overlaps(l.entry) && !taken.has(base(l.entry.url)),
  );
  candidates.sort((a, b) => OPERATORS.indexOf(a.entry.category as (typeof OPERATORS)[number]) - OPERATORS.indexOf(b.entry.category as (typeof OPERATORS)[number]) || a.entry.name.localeCompare(b.entry.name));
  const added: string[] = [];
  for (const c of candidates) {
    if (names.has(c.entry.name)) throw new Error(`the ${c.list} list's ${c.entry.name} (${c.entry.url}) has the name of another log`);
    names.add(c.entry.name);
    taken.add(base(c.entry.url));
    logs.push(c.entry);
    added.push(c.entry.name);
  }
  // Written as the catalogue reads them (URLs ending in '/', dates in one form, fields in one order), so that a rebuild changes nothing.
  return { logs: parseCatalogue({ logs }, 'built catalogue').logs.map(catalogueFileEntry), added };
}

/** The file's text: one-space indentation, as the catalogue has always been written. */
export function catalogueText(result: BuildResult): string {
  return `${JSON.stringify({ logs: result.logs }, null, 1)}\n`;
}

export function readInputs(paths: typeof DEFAULT_PATHS): BuildInputs {
  return {
    chrome: readFileSync(paths.chrome),
    chromeSig: paths.chromeSig ? readFileSync(paths.chromeSig) : null,
    chromeKey: paths.chromeKey ? readFileSync(paths.chromeKey) : null,
    apple: readFileSync(paths.apple),
    current: readFileSync(paths.current, 'utf8'),
  };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      chrome: { type: 'string' },
      'chrome-sig': { type: 'string' },
      'chrome-key': { type: 'string' },
      apple: { type: 'string' },
      current: { type: 'string' },
      out: { type: 'string' },
      check: { type: 'boolean' },
    },
  });
  const paths = {
    chrome: values.chrome ? resolve(values.chrome) : DEFAULT_PATHS.chrome,
    chromeSig: values['chrome-sig'] ? resolve(values['chrome-sig']) : DEFAULT_PATHS.chromeSig,
    chromeKey: values['chrome-key'] ? resolve(values['chrome-key']) : DEFAULT_PATHS.chromeKey,
    apple: values.apple ? resolve(values.apple) : DEFAULT_PATHS.apple,
    current: values.current ? resolve(values.current) : DEFAULT_PATHS.current,
  };
  const out = values.out ? resolve(values.out) : DEFAULT_PATHS.current;
  const result = buildCatalogue(readInputs(paths));
  const text = catalogueText(result);
  if (values.check) {
    let existing = '';
    try {
      existing = readFileSync(out, 'utf8');
    } catch {
      existing = '';
    }
    if (existing !== text) {
      console.error(`${out} is not what the log lists give: run npm run build:catalogue`);
      process.exit(1);
    }
    console.log(`${out} is up to date: ${result.logs.length} logs`);
    return;
  }
  writeFileSync(out, text);
  const byCategory = new Map<string, number>();
  for (const l of result.logs) byCategory.set(l.category, (byCategory.get(l.category) ?? 0) + 1);
  console.log(`wrote ${out}: ${result.logs.length} logs (${[...byCategory].map(([c, n]) => `${c} ${n}`).join(', ')}); added ${result.added.length}: ${result.added.join(' ')}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    main();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
