/**
 * startTestLogs: generate (or load from the cache) a corpus, serve it as
 * several CT logs on 127.0.0.1 (each with the RFC 6962 read API and the
 * static-ct-api one: checkpoint and tiles), and write the log catalogue, a
 * Chrome v3 log list and the expected data. Used by tests, benchmarks, the
 * demo and `npm run testlog`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateCorpus, logPrivateKey, type Corpus, type CorpusSpec } from './corpus.js';
import type { ExpectedData } from './expected.js';
import { validateFaults, type FaultOptions } from './faults.js';
import { rsaKeyPool, spkiOf } from './keys.js';
import { LogState, TestLogServer } from './server.js';
import { ShutDownLog } from './elsewhere.js';
import { CorpusEntries } from './corpus-entries.js';
import { corpusDir, loadCorpus, saveCorpus } from './store.js';

export type { ExpectedData, ExpectedCertificate, ExpectedEntry, ExpectedLineage, ExpectedRenewal } from './expected.js';
export type { FaultOptions, RateLimit, TileFaults } from './faults.js';
export { LeafListTileSource, serveLeavesAsTiles, TiledLogHandler } from './tiles.js';
export type { LeafListOptions, LeavesAsTiles, ServeLeavesAsTilesOptions, TileAnswer, TileSource } from './tiles.js';

/** The read API a log advertises. Every test log serves both; a static-ct-api log's leaves carry the leaf_index extension. */
export type TestLogApi = 'rfc6962' | 'static-ct-api';
export const TEST_LOG_APIS: readonly TestLogApi[] = ['rfc6962', 'static-ct-api'];

export interface TestLogSpec {
  category: string;
  name: string;
  /** Entries in this log (default: options.size). */
  size?: number;
  /** Most entries per get-entries answer. */
  pageSize?: number;
  /** Cut answers at multiples of pageSize (Google). */
  aligned?: boolean;
  /**
   * The API advertised in logs.json and log_list.json (default rfc6962). A static-ct-api log's
   * leaves carry the leaf_index extension (in get-entries too, and in its Merkle tree).
   */
  api?: TestLogApi;
  /** An rfc6962 log whose catalogue entry says `data_tiles: true`: read from its data tiles, as a hybrid log (every test log serves them). */
  dataTiles?: boolean;
  /**
   * A shut-down log (elsewhere.ts): its own prefix answers 410 Gone, and it is served only as
   * mirrors (`'mirror'`: the catalogue lists the true mirror and the log's final tree head) or
   * only as zip archives (`'archive'`: the catalogue lists the archive). It never grows.
   */
  shutDown?: 'mirror' | 'archive';
  faults?: FaultOptions;
}

export type BuiltinLog = Required<Omit<TestLogSpec, 'size' | 'faults' | 'api' | 'dataTiles' | 'shutDown'>> & { api?: TestLogApi };

/** The built-in set served by default: one log per operator style, two for Google. */
export const DEFAULT_LOGS: readonly BuiltinLog[] = [
  { category: 'google', name: 'argon-test', pageSize: 32, aligned: true },
  { category: 'google', name: 'xenon-test', pageSize: 32, aligned: true },
  { category: 'cloudflare', name: 'nimbus-test', pageSize: 1024, aligned: false },
  { category: 'digicert', name: 'wyvern-test', pageSize: 256, aligned: false },
  { category: 'trustasia', name: 'hetu-test', pageSize: 100, aligned: false },
];

/** Every built-in log, usable by name: the default set, and two static-ct-api logs served only when asked for. */
export const BUILTIN_LOGS: readonly BuiltinLog[] = [
  ...DEFAULT_LOGS,
  { category: 'google', name: 'parcelyard-test', pageSize: 256, aligned: false, api: 'static-ct-api' },
  { category: 'lets-encrypt', name: 'sycamore-test', pageSize: 256, aligned: false, api: 'static-ct-api' },
];

const CATEGORY_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const NAME_RE = /^[a-z0-9][a-z0-9._-]*$/i;

export interface StartOptions {
  /** Everything generated follows from the seed (default "ctjp"). */
  seed?: string;
  /** Entries per log unless the log says otherwise (default 5000). */
  size?: number;
  /** Logs to serve: specs, or names of built-in logs (BUILTIN_LOGS; default: the DEFAULT_LOGS). */
  logs?: (TestLogSpec | string)[];
  /** Faults for every log; a log's own `faults` replace these. */
  faults?: FaultOptions;
  /** Share of `.jp` entries (default 0.01). */
  jpShare?: number;
  host?: string;
  /** 0 (default): an ephemeral port. */
  port?: number;
  /** Where logs.json, log_list.json and expected.json go (default: a fresh temporary folder, removed by close()). */
  outDir?: string;
  /** Corpus cache (default: CTJP_TESTLOG_CACHE or <repo>/tmp/testlog-cache). */
  cacheDir?: string;
  /** Progress messages (default: silent). */
  log?: (message: string) => void;
}

export interface ServedLog {
  category: string;
  name: string;
  /** The API the catalogue advertises; every log answers both at url. */
  api: TestLogApi;
  /** RFC 6962 base URL and static-ct-api monitoring prefix (`${url}checkpoint`, `${url}tile/...`). */
  url: string;
  /** The submission prefix (= url); its origin (originOf) is the one checkpoints carry. */
  submissionUrl: string;
  /** Base64 DER SubjectPublicKeyInfo of the log key. */
  key: string;
  /** Base64 log ID (SHA-256 of the key). */
  logId: string;
  pageSize: number;
  aligned: boolean;
  /** A shut-down log: where it is served instead of url (which answers 410 Gone). */
  shutDown: 'mirror' | 'archive' | null;
  /** Its mirrors, by kind: the true one, a forked tree signed with its key, and a tree head signed with another key. */
  mirrorUrls: { mirror: string; forged: string; badSignature: string } | null;
  /** Its archive: the zip URL template (`{n}` for 000, 001, …), and the same zips cut short. */
  archiveUrls: { zips: string; truncated: string } | null;
}

export interface TestLogs {
  baseUrl: string;
  logs: ServedLog[];
  /** The log catalogue (the format of docs/design.md) for the manager's --logs. */
  cataloguePath: string;
  /** A Chrome v3 log list of the same logs (for certspotter and other monitors). */
  logListPath: string;
  expectedPath: string;
  expected: ExpectedData;
  /** Current tree size of a log (grows with growth faults or append). */
  treeSize(name: string): number;
  /** The log's Merkle root at any size up to the current one. */
  rootHash(name: string, treeSize: number): Buffer;
  setFaults(name: string, faults: FaultOptions): void;
  /** Append filler entries to a log now. */
  append(name: string, count: number): void;
  timings: { corpusMs: number; cached: boolean; treeMs: number };
  close(): Promise<void>;
}

export const DEFAULT_CACHE_DIR = resolve(import.meta.dirname, '..', '..', 'tmp', 'testlog-cache');

function resolveSpecs(opts: StartOptions): (Required<Omit<TestLogSpec, 'faults' | 'shutDown'>> & { shutDown: 'mirror' | 'archive' | null; faults?: FaultOptions })[] {
  const known = (): string => BUILTIN_LOGS.map((x) => x.name).join(', ');
  const size = opts.size ?? 5000;
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`size must be a positive integer, got ${size}`);
  const list = opts.logs ?? DEFAULT_LOGS.map((l) => l.name);
  if (list.length === 0) throw new RangeError('logs must name at least one log');
  const specs = list.map((l) => {
    if (typeof l === 'string') {
      const d = BUILTIN_LOGS.find((x) => x.name === l);
      if (!d) throw new RangeError(`unknown built-in log ${JSON.stringify(l)} (known: ${known()})`);
      return { ...d, api: d.api ?? 'rfc6962', dataTiles: false, shutDown: null, size };
    }
    if (!NAME_RE.test(l.name) || !CATEGORY_RE.test(l.category)) throw new RangeError(`log category (lower-case letters, digits, _ and -, at most 32) and name must be URL-safe words: ${l.category}/${l.name}`);
    const d = BUILTIN_LOGS.find((x) => x.name === l.name);
    const api = l.api ?? d?.api ?? 'rfc6962';
    if (!TEST_LOG_APIS.includes(api)) throw new RangeError(`api of ${l.name} must be ${TEST_LOG_APIS.join(' or ')}, got ${JSON.stringify(api)}`);
    if (l.dataTiles && api !== 'rfc6962') throw new RangeError(`dataTiles is for rfc6962 logs, not ${l.name}`);
    const shutDown = l.shutDown ?? null;
    if (shutDown !== null && shutDown !== 'mirror' && shutDown !== 'archive') throw new RangeError(`shutDown of ${l.name} must be "mirror" or "archive", got ${JSON.stringify(shutDown)}`);
    if (shutDown !== null && (l.faults?.growthPerSecond ?? 0) > 0) throw new RangeError(`${l.name} is shut down: it cannot grow`);
    return { category: l.category, name: l.name, size: l.size ?? size, pageSize: l.pageSize ?? d?.pageSize ?? 1000, aligned: l.aligned ?? d?.aligned ?? false, api, dataTiles: l.dataTiles ?? false, shutDown, faults: l.faults };
  });
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name)) throw new RangeError(`log name ${s.name} appears twice`);
    names.add(s.name);
    if (!Number.isSafeInteger(s.size) || s.size < 1) throw new RangeError(`size of ${s.name} must be a positive integer`);
    if (!Number.isSafeInteger(s.pageSize) || s.pageSize < 1) throw new RangeError(`pageSize of ${s.name} must be a positive integer`);
  }
  return specs;
}

/** Load the corpus from the cache, or generate and cache it. */
export async function obtainCorpus(spec: CorpusSpec, cacheDir: string, log: (m: string) => void): Promise<{ corpus: Corpus; cached: boolean; ms: number }> {
  const t0 = Date.now();
  const dir = corpusDir(cacheDir, spec);
  const cachedCorpus = loadCorpus(dir);
  if (cachedCorpus) return { corpus: cachedCorpus, cached: true, ms: Date.now() - t0 };
  log(`generating corpus ${dir}`);
  const corpus = await generateCorpus(spec, await rsaKeyPool(cacheDir));
  mkdirSync(cacheDir, { recursive: true });
  saveCorpus(dir, corpus);
  return { corpus, cached: false, ms: Date.now() - t0 };
}

export async function startTestLogs(opts: StartOptions = {}): Promise<TestLogs> {
  const seed = opts.seed ?? 'ctjp';
  const specs = resolveSpecs(opts);
  if (opts.faults) validateFaults(opts.faults, 'faults');
  const say = opts.log ?? (() => {});
  const cacheDir = opts.cacheDir ?? process.env.CTJP_TESTLOG_CACHE ?? DEFAULT_CACHE_DIR;
  const corpusLogs = specs.map((s) => ({ name: s.name, size: s.size, ...(s.api === 'static-ct-api' ? { api: s.api } : {}) }));
  const { corpus, cached, ms } = await obtainCorpus({ seed, jpShare: opts.jpShare ?? 0.01, logs: corpusLogs }, cacheDir, say);
  say(`corpus ${cached ? 'loaded from cache' : 'generated'} in ${ms} ms`);

  const t1 = Date.now();
  const states = specs.map((s, i) => {
    const st = new LogState(s.category, s.name, { pageSize: s.pageSize, aligned: s.aligned }, logPrivateKey(seed, s.name), new CorpusEntries(corpus, corpus.logs[i], seed), seed);
    st.setFaults(s.faults ?? opts.faults ?? {});
    if (s.shutDown !== null) st.shutDown = new ShutDownLog(st);
    return st;
  });
  const treeMs = Date.now() - t1;
  say(`Merkle trees built in ${treeMs} ms`);

  const server = new TestLogServer(states);
  const baseUrl = await server.listen(opts.host ?? '127.0.0.1', opts.port ?? 0);
  const ownOutDir = opts.outDir === undefined;
  const outDir = opts.outDir ?? mkdtempSync(join(tmpdir(), 'ctjp-testlog-'));
  mkdirSync(outDir, { recursive: true });

  const served: ServedLog[] = states.map((s, i) => {
    const spki = spkiOf(logPrivateKey(seed, s.name));
    const shutDown = specs[i].shutDown;
    return {
      shutDown,
      mirrorUrls: shutDown ? { mirror: `${baseUrl}/mirror${s.prefix}`, forged: `${baseUrl}/mirror-forged${s.prefix}`, badSignature: `${baseUrl}/mirror-badsig${s.prefix}` } : null,
      archiveUrls: shutDown ? { zips: `${baseUrl}/archive${s.prefix}{n}.zip`, truncated: `${baseUrl}/archive-truncated${s.prefix}{n}.zip` } : null,
      category: s.category,
      name: s.name,
      api: s.api,
      url: `${baseUrl}${s.prefix}`,
      submissionUrl: `${baseUrl}${s.prefix}`,
      key: spki.toString('base64'),
      logId: createHash('sha256').update(spki).digest('base64'),
      pageSize: s.quirks.pageSize,
      aligned: s.quirks.aligned,
    };
  });
  const cataloguePath = join(outDir, 'logs.json');
  const logListPath = join(outDir, 'log_list.json');
  const expectedPath = join(outDir, 'expected.json');
  const catalogued = served.map((l, i) => ({
    ...(l.api === 'static-ct-api'
      ? { category: l.category, name: l.name, api: l.api, url: l.url, submission_url: l.submissionUrl, key: l.key }
      : { category: l.category, name: l.name, url: l.url, key: l.key, ...(specs[i].dataTiles ? { data_tiles: true } : {}) }),
    ...shutDownEntry(l, states[i]),
  }));
  writeFileSync(cataloguePath, JSON.stringify({ logs: catalogued }, null, 2) + '\n');
  // A browser's list names no mirrors or archives: shut-down logs are left out of it.
  writeFileSync(logListPath, JSON.stringify(chromeLogList(served.filter((l) => l.shutDown === null)), null, 2) + '\n');
  writeFileSync(expectedPath, JSON.stringify(corpus.expected));

  const byName = (name: string): LogState => {
    const s = states.find((x) => x.name === name);
    if (!s) throw new RangeError(`no test log named ${name}`);
    return s;
  };
  return {
    baseUrl,
    logs: served,
    cataloguePath,
    logListPath,
    expectedPath,
    expected: corpus.expected,
    treeSize: (name) => byName(name).size,
    rootHash: (name, treeSize) => byName(name).tree.root(treeSize),
    setFaults: (name, faults) => byName(name).setFaults(faults),
    append: (name, count) => byName(name).append(count),
    timings: { corpusMs: ms, cached, treeMs },
    close: async () => {
      await server.close();
      if (ownOutDir) rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/**
 * A shut-down log's catalogue fields: read from its true mirror, whose tree head must be the
 * final one the catalogue gives (as a browser's list gives a read-only log's), or from its
 * archive, whose checkpoint only the log's key vouches for.
 */
function shutDownEntry(l: ServedLog, state: LogState): Record<string, unknown> {
  if (l.shutDown === 'mirror') {
    const sth = state.currentSth();
    return { shut_down: true, mirrors: [l.mirrorUrls!.mirror], final_tree_head: { tree_size: sth.treeSize, sha256_root_hash: Buffer.from(sth.rootHash).toString('base64') } };
  }
  if (l.shutDown === 'archive') return { shut_down: true, archives: [l.archiveUrls!.zips] };
  return {};
}

/**
 * The logs as a Chrome v3 log list (loglist3 schema), one operator per category: RFC 6962
 * logs under `logs` with `url`, static-ct-api logs under `tiled_logs` with `submission_url`
 * and `monitoring_url` (`tiled_logs` only for an operator that has some). Written so that the
 * manager reads it with --log-list exactly as a browser's list: the operator is named by the
 * category, the description quotes the log's name, every log is usable and takes any expiry.
 */
function chromeLogList(logs: ServedLog[]): unknown {
  const categories = [...new Set(logs.map((l) => l.category))];
  const since = '2024-01-01T00:00:00Z';
  const common = (l: ServedLog): Record<string, unknown> => ({
    description: `ctjp local '${l.name}' log`,
    log_id: l.logId,
    key: l.key,
    temporal_interval: { start_inclusive: '2000-01-01T00:00:00Z', end_exclusive: '2100-01-01T00:00:00Z' },
  });
  return {
    version: '1.0',
    log_list_timestamp: new Date().toISOString(),
    operators: categories.map((c) => {
      const own = logs.filter((l) => l.category === c);
      const tiled = own.filter((l) => l.api === 'static-ct-api');
      return {
        name: c,
        email: [`ct@${c}.test`],
        logs: own.filter((l) => l.api !== 'static-ct-api').map((l) => ({ ...common(l), url: l.url, mmd: 86400, state: { usable: { timestamp: since } } })),
        ...(tiled.length > 0
          ? { tiled_logs: tiled.map((l) => ({ ...common(l), submission_url: l.submissionUrl, monitoring_url: l.url, mmd: 60, state: { usable: { timestamp: since } } })) }
          : {}),
      };
    }),
  };
}
