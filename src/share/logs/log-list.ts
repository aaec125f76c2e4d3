/**
 * Browser log lists -> the log catalogue (docs/design.md, "Log catalogue file"; the log list schema v3 of the browsers).
 *
 * Reads Chrome's v3 lists (`log_list.json`, `all_logs_list.json`) and Apple's list, which share
 * one layout: `operators[]`, each with `logs` (RFC 6962, `url`) and `tiled_logs` (static-ct-api,
 * `submission_url` and `monitoring_url`). Each kept log becomes a catalogue entry: its category a
 * slug of the operator name, its name a slug of its description, unique in the list.
 *
 * Skipped: logs without a state, test logs, bogus placeholders, logs without a temporal interval,
 * and (unless asked for) `pending` and `rejected` ones. A list may come with a detached signature
 * over its exact bytes (RSA PKCS#1 v1.5 or ECDSA, SHA-256), checked before anything is read.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CatalogueError, parseCatalogue, type Catalogue, type CatalogueFileEntry } from './catalogue.js';

/** The states a log list gives a log (exactly one each). */
export const LOG_LIST_STATES = ['pending', 'qualified', 'usable', 'readonly', 'retired', 'rejected'] as const;
export type LogListState = (typeof LOG_LIST_STATES)[number];
/**
 * States read by default. `retired` and `readonly` logs stop taking certificates but keep serving
 * what they hold; `pending` logs hold nothing a browser relies on and `rejected` ones need not
 * run any more: those two only when asked for.
 */
export const DEFAULT_LOG_LIST_STATES: readonly LogListState[] = ['qualified', 'usable', 'readonly', 'retired'];

/**
 * get-entries page sizes by category (as the operators' logs answered in 2025 and 2026):
 * Google and TrustAsia cut answers at multiples of 32, DigiCert, Sectigo and Cloudflare at 256.
 * Set on RFC 6962 logs only: a tiled log is read in 256-entry tiles anyway.
 */
export const OPERATOR_PAGE_SIZES: Readonly<Record<string, number>> = { google: 32, trustasia: 32, digicert: 256, sectigo: 256, cloudflare: 256 };

/** Most bytes read from a log list, and from its signature. */
export const LOG_LIST_MAX_BYTES = 16 * 1024 * 1024;
export const SIGNATURE_MAX_BYTES = 64 * 1024;
export const FETCH_TIMEOUT_MS = 30_000;

export type LogListKind = 'chrome' | 'apple';

export interface LogListOptions {
  /** Where the list came from, for messages. */
  source?: string;
  /** States to read besides DEFAULT_LOG_LIST_STATES (e.g. `pending`, `rejected`). */
  extraStates?: readonly LogListState[];
  /** Categories for operator names (exact names), instead of their slugs. */
  categories?: Readonly<Record<string, string>>;
}

/** One log of the list as read, kept or not. */
export interface LogListLog {
  operator: string;
  description: string;
  /** The unique name the log gets (also for skipped logs, so that names never depend on options). */
  name: string;
  category: string;
  api: 'rfc6962' | 'static-ct-api';
  state: LogListState | null;
  /** Why the log was left out, or null when it is in the catalogue. */
  skipped: string | null;
}

export interface LogListReading {
  kind: LogListKind;
  /** Chrome's `version`, or Apple's `assetVersionV2` (else `version`). */
  version: string | null;
  /** Chrome's `log_list_timestamp`; null for Apple's list. */
  timestamp: string | null;
  /** Every log of the list, in list order. */
  logs: LogListLog[];
  /** The kept logs as catalogue file entries, in list order. */
  entries: CatalogueFileEntry[];
  catalogue: Catalogue;
}

/** A log list that cannot be used. A CatalogueError (and named so): the manager reports both alike. */
export class LogListError extends CatalogueError {}

/** Apple's list carries `assetVersion` / `assetVersionV2` and an Apple `$schema`; Chrome's has none of them. */
export function logListKind(body: Record<string, unknown>): LogListKind {
  const schema = typeof body.$schema === 'string' ? body.$schema : '';
  return 'assetVersion' in body || 'assetVersionV2' in body || /apple\.com\//.test(schema) ? 'apple' : 'chrome';
}

const LEGAL_FORMS = new Set(['gmbh', 'ltd', 'inc', 'llc', 'co', 'corp', 'corporation', 'limited', 'sa', 'ag', 'bv', 'plc', 'kk']);

function asciiWords(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['\u2018\u2019]/g, '')
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/**
 * The category of an operator: its name in lower case, words joined by '-', apostrophes dropped
 * and a trailing legal form dropped (`Google` → `google`, `Let's Encrypt` → `lets-encrypt`,
 * `IPng GmbH` → `ipng`), at most 32 characters.
 */
export function operatorCategory(operator: string): string {
  const words = asciiWords(operator);
  while (words.length > 1 && LEGAL_FORMS.has(words[words.length - 1])) words.pop();
  const slug = words.join('-').slice(0, 32).replace(/-+$/, '');
  return slug || `operator-${shortHash(operator)}`;
}

/** Host labels that name no log (`log.sycamore.ct.letsencrypt.org` → `sycamore`). */
const GENERIC_LABELS = new Set(['log', 'logs', 'mon', 'ct', 'www', 'submit', 'sub']);

/** Drop leading words that spell the operator's name (`Trust Asia Log2024-2` of `TrustAsia` → `Log2024-2`). */
function withoutOperator(text: string, operator: string): string {
  const key = asciiWords(operator).join('');
  const words = text.trim().split(/\s+/);
  let acc = '';
  for (let i = 0; i < words.length; i++) {
    acc += asciiWords(words[i]).join('');
    if (acc === key) return words.slice(i + 1).join(' ');
    if (!key.startsWith(acc)) break;
  }
  return text;
}

/**
 * A log's name from its description: the quoted part when there is one (`Google 'Argon2027h1'
 * log` → `argon2027h1`), else the description without the operator's name and a trailing `log` /
 * `CT log` (`TrustAsia Luoshu2027` → `luoshu2027`), or for a description that is a host and path
 * the first telling host label and the path (`log.sycamore.ct.letsencrypt.org/2026h1` →
 * `sycamore2026h1`). Lower case; a space before a digit is dropped (`Nimbus 2026` →
 * `nimbus2026`), other runs of other characters become '-'; a trailing `#N` adds `-N`
 * (`'Yeti 2022' log #2` → `yeti2022-2`). Not yet unique: see uniqueNames.
 */
export function logNameSlug(description: string, operator: string): string {
  const text = description.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[\u2018\u2019]/g, "'").trim();
  const number = /#\s*(\d+)\s*$/.exec(text)?.[1];
  // A quoted name opens after a space and closes before one (the apostrophe of "Let's" opens nothing).
  const quoted = /(?:^|\s)'([^']*[A-Za-z0-9][^']*)'(?=$|[\s,.;:)#])/.exec(text)?.[1];
  let core: string;
  if (quoted !== undefined) {
    core = quoted;
  } else if (/^[a-z0-9-]+(\.[a-z0-9-]+)+(\/[A-Za-z0-9._-]*)*$/i.test(text)) {
    const [host, ...path] = text.split('/');
    const labels = host.split('.');
    core = [labels.find((l) => !GENERIC_LABELS.has(l.toLowerCase())) ?? labels[0], ...path.filter(Boolean)].join('');
  } else {
    core = withoutOperator(text.replace(/\([^)]*\)/g, ' ').replace(/#\s*\d+\s*$/, ''), operator).replace(/'/g, ' ').trim();
    let before;
    do {
      before = core;
      core = core.replace(/(^|\s+)(ct\s+)?log$/i, '').trim();
    } while (core !== before);
  }
  let slug = core
    .toLowerCase()
    .replace(/([a-z])\s+(?=\d)/g, '$1')
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  if (!slug) slug = operatorCategory(operator);
  if (number !== undefined && !slug.endsWith(`-${number}`)) slug = `${slug}-${number}`;
  return slug.slice(0, 64).replace(/[-.]+$/, '');
}

/**
 * Unique names, in list order: a slug several logs share is prefixed with each one's category
 * when their operators differ (`google-x`, `digicert-x`); what still collides gets `-2`, `-3`, …
 * after the first, in list order.
 */
function uniqueNames(items: { slug: string; category: string }[]): string[] {
  const count = (names: string[]): Map<string, number> => names.reduce((m, n) => m.set(n, (m.get(n) ?? 0) + 1), new Map<string, number>());
  const bySlug = new Map<string, Set<string>>();
  for (const it of items) bySlug.set(it.slug, (bySlug.get(it.slug) ?? new Set()).add(it.category));
  const prefixed = items.map((it) => ((bySlug.get(it.slug)?.size ?? 1) > 1 ? `${it.category}-${it.slug}`.slice(0, 64) : it.slug));
  const seen = new Map<string, number>();
  const counts = count(prefixed);
  const taken = new Set(prefixed);
  return prefixed.map((n) => {
    if ((counts.get(n) ?? 0) < 2) return n;
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    if (k === 1) return n;
    let candidate = `${n.slice(0, 60)}-${k}`;
    for (let j = k; taken.has(candidate); j++) candidate = `${n.slice(0, 58)}-${k}-${j}`;
    taken.add(candidate);
    return candidate;
  });
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function stateOf(entry: Record<string, unknown>): { state: LogListState | null; detail: Record<string, unknown> | null; unknown: string | null } {
  const s = entry.state;
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return { state: null, detail: null, unknown: null };
  const names = Object.keys(s);
  const known = names.filter((n): n is LogListState => (LOG_LIST_STATES as readonly string[]).includes(n));
  if (known.length !== 1) return { state: null, detail: null, unknown: names.join(',') || null };
  const detail = (s as Record<string, unknown>)[known[0]];
  return { state: known[0], detail: typeof detail === 'object' && detail !== null ? (detail as Record<string, unknown>) : null, unknown: null };
}

/** Read a parsed log list (JSON value) into catalogue entries. */
export function readLogList(body: unknown, options: LogListOptions = {}): LogListReading {
  const source = options.source ?? 'log list';
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !Array.isArray((body as { operators?: unknown }).operators)) {
    const isCatalogue = typeof body === 'object' && body !== null && Array.isArray((body as { logs?: unknown }).logs);
    throw new LogListError(`${source}: expected a browser log list, an object with an "operators" array${isCatalogue ? ' (this is a log catalogue with "logs": give it with --logs)' : ''}`);
  }
  const top = body as Record<string, unknown>;
  const kind = logListKind(top);
  const states = new Set<LogListState>([...DEFAULT_LOG_LIST_STATES, ...(options.extraStates ?? [])]);
  const raw: { entry: Record<string, unknown>; operator: string; category: string; api: 'rfc6962' | 'static-ct-api'; at: string }[] = [];
  (top.operators as unknown[]).forEach((op, i) => {
    if (typeof op !== 'object' || op === null) throw new LogListError(`${source}: operators[${i}] is not an object`);
    const o = op as Record<string, unknown>;
    const operator = str(o.name);
    if (!operator) throw new LogListError(`${source}: operators[${i}].name is missing`);
    const category = options.categories?.[operator] ?? operatorCategory(operator);
    for (const [field, api] of [['logs', 'rfc6962'], ['tiled_logs', 'static-ct-api']] as const) {
      const list = o[field];
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list)) throw new LogListError(`${source}: operators[${i}].${field} must be an array (operator "${operator}")`);
      list.forEach((entry: unknown, j) => {
        if (typeof entry !== 'object' || entry === null) throw new LogListError(`${source}: operators[${i}].${field}[${j}] is not an object (operator "${operator}")`);
        raw.push({ entry: entry as Record<string, unknown>, operator, category, api, at: `operators[${i}].${field}[${j}]` });
      });
    }
  });
  const names = uniqueNames(raw.map((r) => ({ slug: logNameSlug(str(r.entry.description) ?? str(r.entry.log_id) ?? r.operator, r.operator), category: r.category })));

  const logs: LogListLog[] = [];
  const entries: CatalogueFileEntry[] = [];
  raw.forEach((r, k) => {
    const e = r.entry;
    const description = str(e.description) ?? '';
    const { state, detail, unknown } = stateOf(e);
    const interval = typeof e.temporal_interval === 'object' && e.temporal_interval !== null ? (e.temporal_interval as { start_inclusive?: unknown; end_exclusive?: unknown }) : null;
    let skipped: string | null = null;
    if (/\b(bogus|placeholder)\b/i.test(description) || e.log_type === 'test') skipped = 'a test log or a placeholder';
    else if (state === null) skipped = unknown ? `unknown state "${unknown}"` : 'no state';
    else if (!states.has(state)) skipped = `state ${state}`;
    else if (interval === null) skipped = 'no temporal_interval';
    logs.push({ operator: r.operator, description, name: names[k], category: r.category, api: r.api, state, skipped });
    if (skipped) return;

    const of = ` (${r.at}, "${description}")`;
    const url = r.api === 'rfc6962' ? str(e.url) : str(e.monitoring_url);
    if (!url) throw new LogListError(`${source}: ${r.at}.${r.api === 'rfc6962' ? 'url' : 'monitoring_url'} is missing${of}`);
    const submission = r.api === 'static-ct-api' ? str(e.submission_url) : null;
    if (r.api === 'static-ct-api' && !submission) throw new LogListError(`${source}: ${r.at}.submission_url is missing${of}`);
    const out: CatalogueFileEntry = {
      category: r.category,
      name: names[k],
      ...(r.api === 'static-ct-api' ? { api: r.api } : {}),
      url,
      ...(submission ? { submission_url: submission } : {}),
      ...(typeof e.key === 'string' ? { key: e.key } : {}),
      temporal_interval: { start_inclusive: interval!.start_inclusive as string, end_exclusive: interval!.end_exclusive as string },
    };
    const pageSize = r.api === 'rfc6962' ? OPERATOR_PAGE_SIZES[r.category] : undefined;
    if (pageSize) out.page_size = pageSize;
    const fth = state === 'readonly' ? (detail?.final_tree_head as { tree_size?: unknown; sha256_root_hash?: unknown } | undefined) : undefined;
    if (fth) out.final_tree_head = { tree_size: fth.tree_size as number, sha256_root_hash: fth.sha256_root_hash as string };
    entries.push(out);
  });
  if (entries.length === 0) {
    const why = new Map<string, number>();
    for (const l of logs) if (l.skipped) why.set(l.skipped, (why.get(l.skipped) ?? 0) + 1);
    const reasons = [...why].map(([w, n]) => `${n} × ${w}`).join(', ');
    throw new LogListError(`${source}: no log to collect from${logs.length ? ` (left out: ${reasons}; states read: ${[...states].join(', ')})` : ' (the list names no log)'}`);
  }
  const catalogue = parseCatalogue({ logs: entries }, source);
  const version = kind === 'apple' ? (top.assetVersionV2 ?? top.version ?? null) : (top.version ?? null);
  return { kind, version: version === null ? null : String(version), timestamp: str(top.log_list_timestamp), logs, entries, catalogue };
}

/**
 * Check a detached signature over the exact bytes of a list: RSA (PKCS#1 v1.5) or ECDSA (DER
 * signature), SHA-256, with a PEM public key. Throws a LogListError unless it verifies.
 */
export function verifyLogListSignature(bytes: Uint8Array, signature: Uint8Array, publicKeyPem: string | Uint8Array, source = 'log list'): void {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: typeof publicKeyPem === 'string' ? publicKeyPem : Buffer.from(publicKeyPem), format: 'pem' });
  } catch (err) {
    throw new LogListError(`${source}: the signing key is not a PEM public key (${(err as Error).message})`);
  }
  const type = key.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ec') throw new LogListError(`${source}: the signing key is ${type ?? 'of an unknown type'}; log list signatures are RSA or ECDSA with SHA-256`);
  let ok = false;
  try {
    ok = verify('sha256', bytes, key, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new LogListError(`${source}: the signature does not match the list's bytes under the given ${type === 'rsa' ? 'RSA' : 'ECDSA'} key (SHA-256); refusing the list`);
}

export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** Read a file, or fetch an http(s) URL (timeout, size cap, 200 only). */
export async function readSource(location: string, what: string, maxBytes = LOG_LIST_MAX_BYTES, timeoutMs = FETCH_TIMEOUT_MS): Promise<Buffer> {
  if (!isUrl(location)) return readFileSource(location, what, maxBytes);
  let response: Response;
  try {
    response = await fetch(location, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow', headers: { 'user-agent': 'ctjp-manager' } });
  } catch (err) {
    const e = err as Error & { cause?: Error };
    const reason = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `${e.message}${e.cause ? `: ${e.cause.message}` : ''}`;
    throw new LogListError(`cannot fetch ${what} ${location}: ${reason}`);
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => {});
    throw new LogListError(`cannot fetch ${what} ${location}: HTTP ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new LogListError(`${what} ${location} is larger than ${maxBytes} bytes (${declared})`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  try {
    for (;;) {
      const chunk = reader ? await reader.read() : { done: true as const, value: undefined };
      if (chunk.done) break;
      size += chunk.value.byteLength;
      if (size > maxBytes) throw new LogListError(`${what} ${location} is larger than ${maxBytes} bytes`);
      chunks.push(Buffer.from(chunk.value));
    }
  } catch (err) {
    await reader?.cancel().catch(() => {});
    if (err instanceof LogListError) throw err;
    throw new LogListError(`cannot fetch ${what} ${location}: ${(err as Error).name === 'TimeoutError' ? `not read within ${timeoutMs} ms` : (err as Error).message}`);
  }
  return Buffer.concat(chunks);
}

function readFileSource(file: string, what: string, maxBytes: number): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new LogListError(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
  if (bytes.length > maxBytes) throw new LogListError(`${what} ${file} is larger than ${maxBytes} bytes`);
  return bytes;
}

export interface LogListSource extends Omit<LogListOptions, 'source'> {
  /** FILE or http(s) URL of the list. */
  list: string;
  /** FILE or URL of a detached signature over the list's bytes; needs `key`. */
  signature?: string | null;
  /** FILE of the PEM public key the signature is checked with. */
  key?: string | null;
  timeoutMs?: number;
}

function checkPair(src: LogListSource): void {
  if (src.signature && !src.key) throw new LogListError(`a log list signature (${src.signature}) needs the key to check it with`);
  if (src.key && !src.signature) throw new LogListError(`a log list key (${src.key}) needs the signature to check`);
}

/** Verify (when signed), parse and read list bytes. */
export function readLogListBytes(bytes: Buffer, src: LogListSource, signature: Buffer | null, keyPem: Buffer | null): LogListReading {
  if (signature && keyPem) verifyLogListSignature(bytes, signature, keyPem, src.list);
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new LogListError(`${src.list}: not JSON (${(err as Error).message})`);
  }
  return readLogList(body, { ...src, source: src.list });
}

/** Does reading this list need the network (a URL list or signature)? */
export function logListNeedsFetch(src: LogListSource): boolean {
  return isUrl(src.list) || (!!src.signature && isUrl(src.signature));
}

/** Read a list and its signature from files (no network): for start-up checks and tools. */
export function loadLogListSync(src: LogListSource): LogListReading {
  checkPair(src);
  if (logListNeedsFetch(src)) throw new LogListError(`${src.list}: a list or signature at a URL must be fetched (loadLogList)`);
  const bytes = readFileSource(src.list, 'log list', LOG_LIST_MAX_BYTES);
  const signature = src.signature ? readFileSource(src.signature, 'log list signature', SIGNATURE_MAX_BYTES) : null;
  const key = src.key ? readFileSource(src.key, 'log list key', SIGNATURE_MAX_BYTES) : null;
  return readLogListBytes(bytes, src, signature, key);
}

/** Read a list from a file or URL, its signature too when given, check the signature, and read the logs. */
export async function loadLogList(src: LogListSource): Promise<LogListReading> {
  checkPair(src);
  const timeout = src.timeoutMs ?? FETCH_TIMEOUT_MS;
  const [bytes, signature] = await Promise.all([
    readSource(src.list, 'log list', LOG_LIST_MAX_BYTES, timeout),
    src.signature ? readSource(src.signature, 'log list signature', SIGNATURE_MAX_BYTES, timeout) : Promise.resolve(null),
  ]);
  const key = src.key ? readFileSource(src.key, 'log list key', SIGNATURE_MAX_BYTES) : null;
  return readLogListBytes(bytes, src, signature, key);
}
