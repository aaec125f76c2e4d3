/**
 * A lying volunteer, for the tests of the manager's audits: an in-process
 * worker that speaks the manager's HTTP API as the real worker does
 * (register, instructions, uploads, pings, completion with a proof verdict,
 * termination) and scans its leases through the worker's own collector (the
 * CT reading layer and the `.jp` filter), but tells lies, each once, in the
 * first lease where it can:
 * - dropJp: one `.jp` entry it found is never uploaded;
 * - fabricate: one leaf the log never served is uploaded at an index of the
 *   lease: a well-formed x509_entry MerkleTreeLeaf carrying a really signed
 *   certificate for a `.jp` name, so it passes the manager's decoding and its
 *   `.jp` check (in place of a non-`.jp` entry, or of a `.jp` one when the
 *   chunk holds nothing else);
 * - claimVerified: every lease is completed as `verified` at the tree size of
 *   the tree head it was given, whatever its own proof said.
 * Otherwise it is honest: it scans each lease whole, uploads what it finds,
 * pings, completes, and asks for more work until there is none (or stop()).
 * Leases are scanned one after the other, so "the first lease" is the first
 * one the manager handed out.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Assignment, LeaseReport, LeaseVerification, StretchTimestamps, UploadItem } from '../../src/share/api/index.js';
import { encodeMerkleTreeLeaf, leafHash, sleep } from '../../src/share/ct/index.js';
import { parseLeaf } from '../../src/share/x509/index.js';
import { CtLogCollector, type ScannedChunk } from '../../src/worker/collector.js';
import { leaseVerification } from '../../src/worker/lease-verification.js';
import { knownLogKey } from '../../src/worker/log-keys.js';
import { ManagerClient, ManagerError } from '../../src/worker/manager-client.js';
import { WORKER_VERSION, userAgent } from '../../src/worker/version.js';
import { POLICY_OIDS } from '../../tools/testlog/cas.js';
import { spkiOf } from '../../tools/testlog/keys.js';
import { encodeName, encodeTbs, ext, sigAlgFor, signTbs } from '../../tools/testlog/x509.js';

export interface Lies {
  dropJp?: boolean;
  fabricate?: boolean;
  claimVerified?: boolean;
}

export interface LyingWorkerOptions {
  managerUrl: string;
  /** The friend it runs for. */
  name: string;
  token?: string | null;
  lies?: Lies;
  /** Finish once the manager says the collection is idle (default true); otherwise keep asking until stop(). */
  exitWhenIdle?: boolean;
  /** Wait between asks when the manager has no work for now (default 500 ms). */
  idleWaitMs?: number;
  /** The `.jp` name the fabricated certificate covers (default a fresh one under co.jp). */
  fabricatedName?: string;
  /** Wait after each chunk it uploads (default 0): a slow liar is still scanning, its progress reported, when an audit catches it. */
  chunkPauseMs?: number;
  /** Progress lines, for debugging (default silent). */
  log?: (line: string) => void;
}

/** One entry of a log, as the liar uploaded it (or left it out). */
export interface EntryRecord {
  log_name: string;
  index: number;
  lease_id: number;
  /** Hex RFC 6962 leaf hash of the leaf uploaded (or, for the dropped one, of the leaf the log served). */
  leaf_hash: string;
}

export interface LeaseRecord {
  lease_id: number;
  category: string;
  log_name: string;
  start: number;
  end: number;
  /** What its own proof of the leaves it uploaded gives. */
  proof: LeaseVerification;
  /** What it told the manager. */
  reported: LeaseVerification;
}

export interface LiarRecord {
  worker_id: string;
  /** Completed leases, in order. */
  leases: LeaseRecord[];
  /** Every item the manager accepted, the fabricated one included. */
  uploaded: EntryRecord[];
  dropped: EntryRecord | null;
  /** `replaced`: the log's entry at that index is `.jp` too (and was not uploaded). */
  fabricated: (EntryRecord & { name: string; replaced: boolean }) | null;
  /** The manager's message when it refused this worker (403, e.g. flagged by an audit): that ended the run. */
  refused: string | null;
}

export interface LyingWorker {
  /** What it did so far (live). */
  readonly record: LiarRecord;
  /** Resolves when it finished (idle, stopped or refused); rejects when it could not go on, after handing its leases back. */
  readonly done: Promise<LiarRecord>;
  /** Stop: the lease being scanned is handed back at its confirmed position. */
  stop(): Promise<LiarRecord>;
}

/** A lease held: where it is confirmed, what the manager acknowledged, and its chunks' timestamps since. */
interface Held {
  a: Assignment;
  confirmed: number;
  acknowledged: number;
  chunks: { start: number; end: number; first: number; last: number }[];
  controller: AbortController;
}

const TRIES = 5;

export function runLyingWorker(options: LyingWorkerOptions): LyingWorker {
  const lies = options.lies ?? {};
  const say = options.log ?? (() => {});
  const client = new ManagerClient({ baseUrl: options.managerUrl, token: options.token ?? null, userAgent: userAgent(options.name) });
  const workerId = `${options.name.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 40) || 'worker'}-${randomBytes(6).toString('hex')}`;
  const identity = { worker_id: workerId, friend_name: options.name, version: WORKER_VERSION };
  const record: LiarRecord = { worker_id: workerId, leases: [], uploaded: [], dropped: null, fabricated: null, refused: null };
  const held = new Map<number, Held>();
  const stopping = new AbortController();
  let maxItems = 500;
  let pinging: Promise<void> | null = null;
  let pingTimer: NodeJS.Timeout | null = null;

  /** A call retried while the manager is unreachable or overloaded, as the real worker keeps trying. */
  const retried = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (!(err instanceof ManagerError) || !err.retriable || attempt >= TRIES || stopping.signal.aborted) throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
        await sleep(500 * attempt);
      }
    }
  };

  /** The CT timestamps of the stretch (acknowledged, confirmed] of a lease (see category-runner.ts). */
  const stretch = (h: Held, confirmed: number): StretchTimestamps => {
    const first = h.chunks.find((c) => c.start === h.acknowledged + 1);
    const last = h.chunks.find((c) => c.end === confirmed);
    return confirmed > h.acknowledged && first && last ? { first_timestamp: first.first, last_timestamp: last.last } : {};
  };

  const ping = (): Promise<void> =>
    (pinging ??= (async () => {
      const reports: LeaseReport[] = [...held.values()].map((h) => ({ lease_id: h.a.lease_id, confirmed: h.confirmed, ...stretch(h, h.confirmed) }));
      try {
        const res = await client.ping({ worker_id: workerId, version: WORKER_VERSION, leases: reports, collected: record.uploaded.length });
        maxItems = res.directives.upload_max_items;
        for (const r of reports) {
          const h = held.get(r.lease_id);
          if (h && r.confirmed > h.acknowledged) {
            h.acknowledged = r.confirmed;
            h.chunks = h.chunks.filter((c) => c.end > r.confirmed);
          }
        }
      } catch (err) {
        // A lease taken away is dropped (its scan stops); anything else waits for the next beat.
        for (const id of err instanceof ManagerError ? err.staleLeases : []) held.get(id)?.controller.abort(new Error('stale'));
        say(`ping failed: ${(err as Error).message}`);
      } finally {
        pinging = null;
      }
    })());

  /** The lies of one chunk: the items it uploads instead of the `.jp` entries found there. */
  const lie = (a: Assignment, chunk: ScannedChunk): UploadItem[] => {
    const item = (index: number, leafInput: string): UploadItem => ({ leaf_input: leafInput, ct_log_url: a.log_url, log_name: a.log_name, friend_name: options.name, index, lease_id: a.lease_id });
    const entry = (index: number, leafInput: string): EntryRecord => ({ log_name: a.log_name, index, lease_id: a.lease_id, leaf_hash: leafHash(Buffer.from(leafInput, 'base64')).toString('hex') });
    let found = chunk.found;
    if (lies.dropJp && record.dropped === null && found.length > 0) {
      record.dropped = entry(found[0].index, found[0].leafInput);
      found = found.slice(1);
      say(`dropping ${a.log_name} ${record.dropped.index}`);
    }
    const items = found.map((f) => item(f.index, f.leafInput));
    if (lies.fabricate && record.fabricated === null) {
      const jp = new Set(chunk.found.map((f) => f.index));
      let index = chunk.start;
      while (index <= chunk.end && jp.has(index)) index++;
      // Every entry of the chunk is .jp: one of those uploaded is replaced (not the dropped one).
      const replaced = index > chunk.end;
      if (replaced) index = items[0]?.index ?? -1;
      if (index >= 0) {
        const name = options.fabricatedName ?? `www.fabricated-${randomBytes(4).toString('hex')}.co.jp`;
        const leafInput = fabricatedLeaf(name, chunk.firstTimestamp).toString('base64');
        const at = items.findIndex((i) => i.index >= index);
        items.splice(at < 0 ? items.length : at, replaced ? 1 : 0, item(index, leafInput));
        record.fabricated = { ...entry(index, leafInput), name, replaced };
        say(`fabricating ${a.log_name} ${index} (${name})`);
      }
    }
    return items;
  };

  const upload = async (a: Assignment, items: UploadItem[]): Promise<void> => {
    for (let i = 0; i < items.length; i += maxItems) {
      const part = items.slice(i, i + maxItems);
      await retried(`uploading to lease ${a.lease_id}`, () => client.upload(part));
      for (const it of part) record.uploaded.push({ log_name: it.log_name, index: it.index, lease_id: it.lease_id, leaf_hash: leafHash(Buffer.from(it.leaf_input, 'base64')).toString('hex') });
    }
  };

  const scanLease = async (h: Held): Promise<void> => {
    const a = h.a;
    const collector = new CtLogCollector({
      logUrl: a.log_url,
      api: a.log_api ?? 'rfc6962',
      origin: a.log_origin ?? null,
      dataTiles: a.data_tiles ?? false,
      readUrl: a.read_from === 'mirror' ? (a.read_url ?? a.log_url) : null,
      archives: a.read_from === 'archive' ? (a.archives ?? []) : null,
      pinnedTreeHead: a.tree_head ? { treeSize: a.tree_head.tree_size, rootHash: Buffer.from(a.tree_head.root_hash, 'base64') } : null,
      start: a.start,
      end: a.end,
      pageSize: a.page_size,
      userAgent: userAgent(options.name),
      logKey: a.log_key ? Buffer.from(a.log_key, 'base64') : knownLogKey(a.log_url),
      minRequestIntervalMs: a.min_interval_ms ?? 0,
      signal: h.controller.signal,
    });
    say(`scanning ${a.log_name} ${a.start}-${a.end} (lease ${a.lease_id})`);
    let fabricatedHere = false;
    for await (const chunk of collector.chunks()) {
      const before = record.fabricated;
      const items = lie(a, chunk);
      fabricatedHere ||= record.fabricated !== before;
      await upload(a, items);
      h.chunks.push({ start: chunk.start, end: chunk.end, first: chunk.firstTimestamp, last: chunk.lastTimestamp });
      h.confirmed = chunk.end;
      if (options.chunkPauseMs) await sleep(options.chunkPauseMs, h.controller.signal).catch(() => {});
    }
    if (h.controller.signal.aborted) {
      // Taken away by the manager: forgotten. Stopped: handed back by finish().
      if (!stopping.signal.aborted) held.delete(a.lease_id);
      return;
    }
    const scanned = leaseVerification(a.start, a.end, [collector.verification]);
    // The log proved its own leaf at that index: the one uploaded there cannot be in its tree.
    const proof: LeaseVerification =
      fabricatedHere && scanned.state === 'verified' ? { state: 'failed', reason: `entry ${record.fabricated!.index}: the leaf uploaded is not the one tree ${scanned.tree_size} holds` } : scanned;
    // The claim names the tree head the log's leaves were proven against, as an honest verdict would.
    const claim: LeaseVerification =
      scanned.state === 'verified'
        ? scanned
        : { state: 'verified', tree_size: a.tree_head?.tree_size ?? collector.stats.treeSize ?? a.end + 1, signed: true, ...(a.tree_head ? { root_hash: a.tree_head.root_hash } : {}) };
    const reported = lies.claimVerified ? claim : proof;
    try {
      await retried(`completing lease ${a.lease_id}`, () => client.complete({ worker_id: workerId, lease_id: a.lease_id, verification: reported, ...stretch(h, a.end) }));
    } catch (err) {
      // The lease was taken away meanwhile (the worker flagged, or the lease expired): forgotten, as the real worker drops it.
      const cause = (err as Error).cause;
      if (!(cause instanceof ManagerError && cause.staleLeases.includes(a.lease_id))) throw err;
      held.delete(a.lease_id);
      say(`lease ${a.lease_id} was taken away before its completion: ${cause.message}`);
      return;
    }
    held.delete(a.lease_id);
    record.leases.push({ lease_id: a.lease_id, category: a.category, log_name: a.log_name, start: a.start, end: a.end, proof, reported });
    say(`completed lease ${a.lease_id} as ${reported.state} (its proof: ${proof.state})`);
  };

  const run = async (): Promise<void> => {
    const reg = await retried('registering', () => client.register(identity));
    maxItems = reg.directives.upload_max_items;
    pingTimer = setInterval(() => void ping(), Math.max(1, reg.directives.ping_interval_s) * 1000);
    pingTimer.unref();
    while (!stopping.signal.aborted) {
      const res = await retried('asking for instructions', () => client.instructions(identity));
      maxItems = res.directives.upload_max_items;
      if (res.assignments.length === 0) {
        if (res.idle && options.exitWhenIdle !== false) return;
        await sleep(options.idleWaitMs ?? 500, stopping.signal).catch(() => {});
        continue;
      }
      // Every lease is held (and pinged) from now on; they are scanned one after the other.
      for (const a of res.assignments) held.set(a.lease_id, { a, confirmed: a.start - 1, acknowledged: a.start - 1, chunks: [], controller: new AbortController() });
      for (const a of res.assignments) {
        const h = held.get(a.lease_id);
        if (stopping.signal.aborted) break;
        if (!h || h.controller.signal.aborted) {
          held.delete(a.lease_id);
          continue;
        }
        await scanLease(h);
      }
    }
  };

  /** Whatever ended the run: the leases still held are handed back at their confirmed positions. */
  const finish = async (): Promise<void> => {
    if (pingTimer) clearInterval(pingTimer);
    await pinging;
    const leases = [...held.values()].map((h) => ({ lease_id: h.a.lease_id, confirmed: h.confirmed, ...stretch(h, h.confirmed) }));
    if (leases.length > 0) await client.terminate({ worker_id: workerId, leases }, 5_000).catch((err: unknown) => say(`terminate failed: ${(err as Error).message}`));
    await client.close();
  };

  const done = run().then(
    async () => {
      await finish();
      return record;
    },
    async (err: unknown) => {
      await finish();
      // Refused (a 403): the manager will not deal with it any more, which is an outcome, not a failure.
      const cause = (err as Error).cause;
      if (!(cause instanceof ManagerError && cause.status === 403)) throw err;
      record.refused = cause.message;
      say(`refused: ${cause.message}`);
      return record;
    },
  );
  return {
    record,
    done,
    async stop() {
      stopping.abort(new Error('stopped'));
      for (const h of held.values()) h.controller.abort(new Error('stopped'));
      return done;
    },
  };
}

/**
 * A MerkleTreeLeaf no log served: an x509_entry of a certificate for `name`, really signed by a
 * fresh P-256 CA key, built with the test logs' certificate writer. Checked with the parser the
 * manager uses, so that a leaf the manager would refuse as not `.jp` never leaves here.
 */
export function fabricatedLeaf(name: string, timestamp: number): Buffer {
  const { privateKey: caKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { privateKey: leafKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = { key: caKey, alg: sigAlgFor(caKey) };
  const spki = spkiOf(leafKey);
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x01;
  const notBefore = new Date(timestamp - 3_600_000);
  const tbs = encodeTbs({
    serial,
    signatureAlg: signer.alg,
    issuer: encodeName([['C', 'JP'], ['O', 'Fabricated Trust K.K.'], ['CN', 'Fabricated DV CA']]),
    notBefore,
    notAfter: new Date(notBefore.getTime() + 90 * 86_400_000 - 1_000),
    subject: encodeName([['CN', name]]),
    spki,
    extensions: [ext.keyUsageLeaf(false), ext.extKeyUsage(), ext.basicConstraints(false), ext.subjectKeyId(spki), ext.authorityKeyId(spkiOf(caKey)), ext.san([name]), ext.policies([POLICY_OIDS.DV])],
  });
  const leaf = Buffer.from(encodeMerkleTreeLeaf({ timestamp, entryType: 'x509_entry', signedEntry: signTbs(tbs, signer), issuerKeyHash: null }));
  const parsed = parseLeaf(leaf);
  if (parsed.error !== null || !parsed.coversJp) throw new Error(`the fabricated leaf for ${name} does not parse as a .jp certificate (${parsed.error ?? 'no .jp name'})`);
  return leaf;
}
