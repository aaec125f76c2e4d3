/**
 * The log catalogue (docs/design.md, "Log catalogue file"): categories -> logs.
 * Loading validates every entry and names the first bad one.
 */
import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import type { LogApi } from '../api/types.js';
import { originOf } from '../ct/checkpoint.js';

/** The read API a log speaks: RFC 6962 (`ct/v1/get-sth`, `get-entries`) or static-ct-api (checkpoint and tiles). */
export type { LogApi };
export const LOG_APIS: readonly LogApi[] = ['rfc6962', 'static-ct-api'];

export interface CatalogueLog {
  category: string;
  name: string;
  /** `"api"` in the file; `rfc6962` when absent. */
  api: LogApi;
  /**
   * Base URL ending in '/': for an RFC 6962 log `${url}ct/v1/get-sth` is the endpoint; for a
   * static-ct-api log it is the monitoring prefix (`${url}checkpoint`, `${url}tile/...`).
   */
  url: string;
  /**
   * `"submission_url"`: the log's submission prefix, ending in '/', or null. For a static-ct-api
   * log it gives the origin its checkpoints carry (see checkpointOrigin).
   */
  submissionUrl: string | null;
  /** `"temporal_interval"`: the log takes certificates expiring in [start, end); null when not given. */
  temporalInterval: { start: Date; end: Date } | null;
  /**
   * `"data_tiles": true` (RFC 6962 logs only): the log also serves static-ct-api data tiles
   * (`${url}tile/data/N`), which a worker may read instead of get-entries and prove against the
   * log's get-sth and inclusion proofs. Always false for a static-ct-api log (it reads tiles anyway).
   */
  dataTiles: boolean;
  /** Base64 DER SubjectPublicKeyInfo. */
  key: string | null;
  /**
   * `"shut_down": true` in the file: the log no longer answers and will not again (its data lives
   * only in archives or mirrors). The manager still asks it now and then, but while it does not
   * answer it keeps no worker waiting for work.
   */
  shutDown: boolean;
  /**
   * `"page_size"`: the most entries one get-entries answer holds (the log cuts answers at
   * multiples of it), 1..10000, or null when not given (the manager then probes it). Assignments
   * end on its multiples and carry it to the worker.
   */
  pageSize: number | null;
  /** `"min_interval_ms"`: the least time a worker leaves between two calls to this log, or null. */
  minIntervalMs: number | null;
  /**
   * `"final_tree_head"`: the tree head a read-only log was frozen at (a browser log list's
   * `readonly` state), or null. A mirror or archive must serve exactly this tree head.
   */
  finalTreeHead: { treeSize: number; rootHash: string } | null;
  /**
   * `"mirrors"`: other base URLs (ending in '/') that serve the same log through the same read API
   * (an RFC 6962 log's mirror answers `ct/v1/...`). A mirror is trusted for nothing: its tree head
   * must carry the log's own signature, and match the final tree head or be consistent with the
   * largest one seen (the planner checks). Empty when not given.
   */
  mirrors: string[];
  /**
   * `"archives"`: zip files holding the log in static-ct-api layout, one level-2 subtree (256³
   * entries) each, in tree order (`000.zip`, `001.zip`, …), read in place with HTTP Range requests.
   * One URL containing `{n}` stands for all of them: `{n}` is the zip's number written with three
   * digits, as the archives name them, and the count follows from the archived checkpoint
   * (expandArchives). Empty when not given.
   */
  archives: string[];
}

export type { ReadFrom } from '../api/types.js';

/** The placeholder of a templated archive URL: the zip's number, three digits. */
export const ARCHIVE_NUMBER = '{n}';
/** Entries in one archive zip: one level-2 tile subtree. */
export const ARCHIVE_ZIP_ENTRIES = 256 ** 3;
/** The archive format numbers its zips with three digits. */
export const ARCHIVE_MAX_ZIPS = 1000;
const MIRRORS_MAX = 8;

/**
 * The zip URLs of a log's archives for a tree of `treeSize` entries: a templated URL expands to
 * as many zips as the tree needs; an explicit list must have exactly that many.
 */
export function expandArchives(archives: readonly string[], treeSize: number): string[] {
  const zips = Math.ceil(treeSize / ARCHIVE_ZIP_ENTRIES);
  if (zips > ARCHIVE_MAX_ZIPS) throw new CatalogueError(`a tree of ${treeSize} entries needs ${zips} archive zips, more than the ${ARCHIVE_MAX_ZIPS} the format numbers`);
  if (archives.length === 1 && archives[0].includes(ARCHIVE_NUMBER)) {
    return Array.from({ length: zips }, (_, i) => archives[0].replaceAll(ARCHIVE_NUMBER, String(i).padStart(3, '0')));
  }
  if (archives.length !== zips) throw new CatalogueError(`the archive lists ${archives.length} zip(s), but its checkpoint of ${treeSize} entries needs ${zips} (one per ${ARCHIVE_ZIP_ENTRIES} entries)`);
  return [...archives];
}

/** The first zip of an archive list (templated or not): it holds the archived checkpoint. */
export function firstArchive(archives: readonly string[]): string {
  return archives[0].replaceAll(ARCHIVE_NUMBER, '000');
}

export interface Catalogue {
  logs: CatalogueLog[];
}

export const DEFAULT_CATALOGUE_FILE = new URL('./default-logs.json', import.meta.url);

export class CatalogueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogueError';
  }
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CATEGORY_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
/** RFC 3339 date-time with a zone, as log lists write them (`2027-01-01T00:00:00Z`). */
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const URL_MAX = 512;
export const PAGE_SIZE_MAX = 10_000;
/** The same bound as the admin directive's min_interval_ms. */
export const MIN_INTERVAL_MAX_MS = 3_600_000;

/** An http(s) URL without query or fragment, as a base ending in '/'. */
function baseUrl(value: unknown, at: string, of: string): string {
  if (typeof value !== 'string') throw new CatalogueError(`${at} must be a URL string${of}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CatalogueError(`${at} is not a URL: ${value}${of}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CatalogueError(`${at} must be http(s)${of}`);
  if (url.search || url.hash) throw new CatalogueError(`${at} must not have a query or fragment${of}`);
  const base = url.href.endsWith('/') ? url.href : `${url.href}/`;
  if (base.length > URL_MAX) throw new CatalogueError(`${at} is longer than ${URL_MAX} characters${of}`);
  return base;
}

/** A day that exists in the calendar (Date.parse would roll 2027-02-30 over into March). */
function realDay(text: string): boolean {
  const [y, m, d] = text.slice(0, 10).split('-').map(Number);
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

function isoDate(value: unknown, at: string, of: string): Date {
  const t = typeof value === 'string' && ISO_RE.test(value) && realDay(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(t)) throw new CatalogueError(`${at} must be an ISO 8601 date-time such as "2027-01-01T00:00:00Z", not ${JSON.stringify(value)}${of}`);
  return new Date(t);
}

function temporalInterval(value: unknown, at: string, of: string): { start: Date; end: Date } | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new CatalogueError(`${at} must be an object { "start_inclusive": ..., "end_exclusive": ... }${of}`);
  const v = value as Record<string, unknown>;
  const start = isoDate(v.start_inclusive, `${at}.start_inclusive`, of);
  const end = isoDate(v.end_exclusive, `${at}.end_exclusive`, of);
  if (start.getTime() >= end.getTime()) throw new CatalogueError(`${at}: start_inclusive ${start.toISOString()} is not before end_exclusive ${end.toISOString()}${of}`);
  return { start, end };
}

function mirrorList(value: unknown, at: string, of: string, own: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > MIRRORS_MAX) throw new CatalogueError(`${at} must be an array of at most ${MIRRORS_MAX} URLs${of}`);
  const out = value.map((v, i) => baseUrl(v, `${at}[${i}]`, of));
  for (const [i, m] of out.entries()) {
    if (m === own) throw new CatalogueError(`${at}[${i}] is the log's own url${of}`);
    if (out.indexOf(m) !== i) throw new CatalogueError(`${at}[${i}] ${m} appears twice${of}`);
  }
  return out;
}

function archiveList(value: unknown, at: string, of: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > ARCHIVE_MAX_ZIPS) throw new CatalogueError(`${at} must be an array of at most ${ARCHIVE_MAX_ZIPS} zip URLs${of}`);
  const out = value.map((v, i) => {
    const where = `${at}[${i}]`;
    if (typeof v !== 'string') throw new CatalogueError(`${where} must be a URL string${of}`);
    let url: URL;
    try {
      url = new URL(v.replaceAll(ARCHIVE_NUMBER, '000'));
    } catch {
      throw new CatalogueError(`${where} is not a URL: ${v}${of}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CatalogueError(`${where} must be http(s)${of}`);
    if (url.hash) throw new CatalogueError(`${where} must not have a fragment${of}`);
    if (v.length > URL_MAX) throw new CatalogueError(`${where} is longer than ${URL_MAX} characters${of}`);
    if (v.includes(ARCHIVE_NUMBER) && value.length > 1) throw new CatalogueError(`${where}: a URL with ${ARCHIVE_NUMBER} stands for every zip and must be the only one${of}`);
    return v;
  });
  for (const [i, a] of out.entries()) if (out.indexOf(a) !== i) throw new CatalogueError(`${at}[${i}] ${a} appears twice${of}`);
  return out;
}

function optionalInteger(value: unknown, at: string, of: string, min: number, max: number): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new CatalogueError(`${at} must be a whole number in [${min}, ${max}], not ${JSON.stringify(value)}${of}`);
  return value;
}

function finalTreeHead(value: unknown, at: string, of: string): { treeSize: number; rootHash: string } | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new CatalogueError(`${at} must be an object { "tree_size": ..., "sha256_root_hash": ... }${of}`);
  const v = value as Record<string, unknown>;
  const treeSize = optionalInteger(v.tree_size, `${at}.tree_size`, of, 0, Number.MAX_SAFE_INTEGER);
  if (treeSize === null) throw new CatalogueError(`${at}.tree_size is missing${of}`);
  const root = v.sha256_root_hash;
  if (typeof root !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(root)) throw new CatalogueError(`${at}.sha256_root_hash must be the base64 of 32 bytes${of}`);
  return { treeSize, rootHash: root };
}

/**
 * The origin a tiled log's checkpoints carry: its submission URL without scheme and trailing
 * slash. Null for an RFC 6962 log (it serves no checkpoint) and for a static-ct-api log whose
 * entry has no submission_url (a reader then has only the checkpoint's own origin line).
 */
export function checkpointOrigin(log: Pick<CatalogueLog, 'api' | 'submissionUrl'>): string | null {
  if (log.api !== 'static-ct-api' || log.submissionUrl === null) return null;
  return originOf(log.submissionUrl);
}

export function parseCatalogue(body: unknown, source = 'catalogue'): Catalogue {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { logs?: unknown }).logs)) {
    const looksLikeList = typeof body === 'object' && body !== null && Array.isArray((body as { operators?: unknown }).operators);
    throw new CatalogueError(`${source}: expected an object with a "logs" array${looksLikeList ? ' (this is a browser log list with "operators": give it with --log-list)' : ''}`);
  }
  const raw = (body as { logs: unknown[] }).logs;
  if (raw.length === 0) throw new CatalogueError(`${source}: "logs" is empty`);
  const names = new Set<string>();
  const urls = new Set<string>();
  const logs = raw.map((entry, i): CatalogueLog => {
    const at = `${source}: logs[${i}]`;
    if (typeof entry !== 'object' || entry === null) throw new CatalogueError(`${at} is not an object`);
    const e = entry as Record<string, unknown>;
    if (typeof e.category !== 'string' || !CATEGORY_RE.test(e.category)) throw new CatalogueError(`${at}.category must be 1-32 lower-case letters, digits, _ or -`);
    if (typeof e.name !== 'string' || !NAME_RE.test(e.name)) throw new CatalogueError(`${at}.name must be 1-64 letters, digits, . _ or -`);
    if (names.has(e.name)) throw new CatalogueError(`${at}.name "${e.name}" appears twice`);
    names.add(e.name);
    const of = ` (log "${e.name}")`;
    let api: LogApi = 'rfc6962';
    if (e.api !== undefined && e.api !== null) {
      if (typeof e.api !== 'string' || !(LOG_APIS as readonly string[]).includes(e.api)) throw new CatalogueError(`${at}.api must be "rfc6962" or "static-ct-api", not ${JSON.stringify(e.api)}${of}`);
      api = e.api as LogApi;
    }
    if (e.url === undefined || e.url === null) throw new CatalogueError(`${at}.url is missing${of}`);
    const base = baseUrl(e.url, `${at}.url`, of);
    if (urls.has(base)) throw new CatalogueError(`${at}.url ${base} appears twice${of}`);
    urls.add(base);
    const submissionUrl = e.submission_url === undefined || e.submission_url === null ? null : baseUrl(e.submission_url, `${at}.submission_url`, of);
    let key: string | null = null;
    if (e.key !== undefined && e.key !== null) {
      if (typeof e.key !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(e.key)) throw new CatalogueError(`${at}.key is not base64${of}`);
      try {
        createPublicKey({ key: Buffer.from(e.key, 'base64'), format: 'der', type: 'spki' });
      } catch {
        throw new CatalogueError(`${at}.key is not a DER SubjectPublicKeyInfo${of}`);
      }
      key = e.key;
    }
    if (e.shut_down !== undefined && typeof e.shut_down !== 'boolean') throw new CatalogueError(`${at}.shut_down must be true or false${of}`);
    if (e.data_tiles !== undefined && e.data_tiles !== null) {
      if (api === 'static-ct-api') throw new CatalogueError(`${at}.data_tiles is only for "rfc6962" logs: a static-ct-api log is always read by tiles${of}`);
      if (typeof e.data_tiles !== 'boolean') throw new CatalogueError(`${at}.data_tiles must be true or false${of}`);
    }
    return {
      category: e.category,
      name: e.name,
      api,
      url: base,
      submissionUrl,
      key,
      shutDown: e.shut_down === true,
      temporalInterval: temporalInterval(e.temporal_interval, `${at}.temporal_interval`, of),
      dataTiles: e.data_tiles === true,
      pageSize: optionalInteger(e.page_size, `${at}.page_size`, of, 1, PAGE_SIZE_MAX),
      minIntervalMs: optionalInteger(e.min_interval_ms, `${at}.min_interval_ms`, of, 0, MIN_INTERVAL_MAX_MS),
      finalTreeHead: finalTreeHead(e.final_tree_head, `${at}.final_tree_head`, of),
      mirrors: mirrorList(e.mirrors, `${at}.mirrors`, of, base),
      archives: archiveList(e.archives, `${at}.archives`, of),
    };
  });
  return { logs };
}

/** Load a catalogue file, or the built-in one when file is null. */
export function loadCatalogue(file: string | URL | null): Catalogue {
  const source = file ?? DEFAULT_CATALOGUE_FILE;
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (err) {
    throw new CatalogueError(`cannot read catalogue ${String(source)}: ${(err as Error).message}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new CatalogueError(`${String(source)}: not JSON (${(err as Error).message})`);
  }
  return parseCatalogue(body, String(source));
}

/** One entry of a catalogue file, as written (docs/design.md, "Log catalogue file"). */
export interface CatalogueFileEntry {
  category: string;
  name: string;
  api?: LogApi;
  url: string;
  submission_url?: string;
  key?: string;
  temporal_interval?: { start_inclusive: string; end_exclusive: string };
  data_tiles?: boolean;
  shut_down?: boolean;
  page_size?: number;
  min_interval_ms?: number;
  final_tree_head?: { tree_size: number; sha256_root_hash: string };
  mirrors?: string[];
  archives?: string[];
}

/** A log as a catalogue file entry: absent fields for defaults, dates as `YYYY-MM-DDTHH:MM:SSZ`. */
export function catalogueFileEntry(log: CatalogueLog): CatalogueFileEntry {
  const day = (d: Date): string => d.toISOString().replace(/\.000Z$/, 'Z');
  return {
    category: log.category,
    name: log.name,
    ...(log.api !== 'rfc6962' ? { api: log.api } : {}),
    url: log.url,
    ...(log.submissionUrl !== null ? { submission_url: log.submissionUrl } : {}),
    ...(log.key !== null ? { key: log.key } : {}),
    ...(log.temporalInterval ? { temporal_interval: { start_inclusive: day(log.temporalInterval.start), end_exclusive: day(log.temporalInterval.end) } } : {}),
    ...(log.dataTiles ? { data_tiles: true } : {}),
    ...(log.shutDown ? { shut_down: true } : {}),
    ...(log.pageSize !== null ? { page_size: log.pageSize } : {}),
    ...(log.minIntervalMs !== null ? { min_interval_ms: log.minIntervalMs } : {}),
    ...(log.finalTreeHead ? { final_tree_head: { tree_size: log.finalTreeHead.treeSize, sha256_root_hash: log.finalTreeHead.rootHash } } : {}),
    ...(log.mirrors.length > 0 ? { mirrors: log.mirrors } : {}),
    ...(log.archives.length > 0 ? { archives: log.archives } : {}),
  };
}
