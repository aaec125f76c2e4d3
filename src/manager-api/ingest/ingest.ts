/**
 * Upload ingest: the checks and the order of work (the rows: repositories/uploads.ts).
 * Everything is checked before anything is written (base64, leaf framing, the
 * .jp decision, log, URL, friend, lease and index); then one transaction
 * inserts each distinct certificate once (unique identity), each (log, index)
 * sighting once and the compared leases' reports, writes the new sightings'
 * raw leaf lines (leaf-store.ts: the files agree with the database after any
 * crash) and, last, adds to the workers' and the maintained counters, so that
 * two uploads wait on each other's counter rows only for a commit. Rows this
 * request created are recognised by a random upload tag, so counters and the
 * raw leaf files only ever see what was new: the same upload twice changes
 * nothing.
 */
import { randomBytes } from 'node:crypto';
import { CtDecodeError, decodeBase64 } from '../../share/ct/index.js';
import type { UploadItem, UploadResponse } from '../../share/api/index.js';
import type { Db } from '../../db/connect.js';
import { inTransaction } from '../../db/transaction.js';
import type { NewCertificate, NewSighting } from '../../db/tables.js';
import { ApiProblem, badRequest, forbidden, unprocessable } from '../errors.js';
import { insertCertificateNames } from '../repositories/certificate-names.js';
import { recordLeaseReports } from '../repositories/audits.js';
import { addDailyCounts, addLogCounts, type DailyCounts } from '../repositories/counters.js';
import { addUploadedItems, insertNewSightings, upsertCertificates, uploadTargets } from '../repositories/uploads.js';
import { certificateIdentity, parseLeaf, type CertificateFields, type ParsedLeaf } from './leaf-parser.js';
import type { LeafLine, LeafStore } from './leaf-store.js';
import { testFaultPoint } from './test-fault.js';

const YIELD_EVERY = 32;

export interface CheckedItem {
  item: UploadItem;
  logId: number;
  logUrl: string;
  workerId: number;
  parsed: ParsedLeaf;
  identity: Buffer | null;
  day: string;
}

const normaliseUrl = (u: string): string => (u.endsWith('/') ? u : `${u}/`);
const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** An upload that passed the checks: its distinct items, and what the transaction needs to know of their leases. */
export interface CheckedUpload {
  items: CheckedItem[];
  /** Leases whose reports are recorded (lease_reports). */
  comparedLeases: Set<number>;
  /** The worker_uid of each worker the upload's leases belong to, by worker id. */
  workerUids: Map<number, string>;
}

const flaggedWorker = (uid: string): ApiProblem => new ApiProblem(403, 'WORKER_FLAGGED', `worker ${uid} is flagged by an audit: its uploads are refused until an operator clears it`);

/** Validate and parse every item; throws an ApiProblem naming the first bad one. No writes. */
export async function checkUpload(db: Db, items: UploadItem[], friendName: string | null): Promise<CheckedUpload> {
  const { logs, leases } = await uploadTargets(db, [...new Set(items.map((i) => i.log_name))], [...new Set(items.map((i) => i.lease_id))]);
  const logByName = new Map(logs.map((l) => [l.name, l]));
  const leaseById = new Map(leases.map((l) => [l.id, l]));
  const seen = new Map<string, string>();
  const out: CheckedItem[] = [];
  for (let i = 0; i < items.length; i++) {
    // Parsing is CPU work: let pings and other short requests in every few items.
    if (i > 0 && i % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    const item = items[i];
    const at = `items[${i}]`;
    if (friendName !== null && item.friend_name !== friendName) throw forbidden(`${at}.friend_name "${item.friend_name}" is not the token's friend "${friendName}"`);
    const log = logByName.get(item.log_name);
    if (!log) throw unprocessable('UNKNOWN_LOG', `${at}.log_name: unknown log "${item.log_name}"`);
    if (normaliseUrl(item.ct_log_url) !== log.url) throw unprocessable('LOG_URL_MISMATCH', `${at}.ct_log_url ${item.ct_log_url} is not the URL of log ${log.name} (${log.url})`);
    const lease = leaseById.get(item.lease_id);
    if (!lease) throw unprocessable('UNKNOWN_LEASE', `${at}.lease_id ${item.lease_id} does not exist`);
    if (lease.friend_name !== item.friend_name) throw forbidden(`${at}.lease_id ${item.lease_id} belongs to another friend`);
    if (lease.log_id !== log.id) throw unprocessable('LEASE_LOG_MISMATCH', `${at}.lease_id ${item.lease_id} is not a lease on log ${log.name}`);
    if (item.index < lease.start_index || item.index > lease.end_index) {
      throw unprocessable('INDEX_OUTSIDE_LEASE', `${at}.index ${item.index} is outside lease ${lease.id} [${lease.start_index}, ${lease.end_index}]`);
    }
    const key = `${log.id}:${item.index}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      if (earlier !== item.leaf_input) throw unprocessable('CONFLICTING_DUPLICATE', `${at} repeats log ${log.name} index ${item.index} with a different leaf_input`);
      continue;
    }
    seen.set(key, item.leaf_input);
    let bytes: Buffer;
    try {
      bytes = decodeBase64(item.leaf_input, `${at}.leaf_input`);
    } catch (err) {
      throw badRequest('BAD_BASE64', (err as Error).message);
    }
    let parsed: ParsedLeaf;
    try {
      parsed = parseLeaf(bytes);
    } catch (err) {
      if (err instanceof CtDecodeError) throw unprocessable('BAD_LEAF', `${at}.leaf_input (log ${log.name}, index ${item.index}) does not decode: ${err.message}`);
      throw err;
    }
    // The worker's own decision (src/worker/jp-filter.ts), so that an honest worker's upload always
    // passes: a parsed certificate must cover a .jp name, one that does not parse must at least hold
    // .jp-shaped bytes where a name can be (it may be .jp: it is kept, with its parse error).
    if (!parsed.coversJp) {
      const why = parsed.fields ? 'its certificate covers no .jp name' : `its certificate does not parse (${parsed.error}) and shows no .jp name`;
      throw unprocessable('NOT_JP', `${at}.leaf_input (log ${log.name}, index ${item.index}): ${why}`);
    }
    out.push({
      item,
      logId: log.id,
      logUrl: log.url,
      workerId: lease.worker_id,
      parsed,
      identity: parsed.fields ? certificateIdentity(parsed.fields) : null,
      day: utcDay(parsed.timestamp),
    });
  }
  const named = [...new Set(items.map((i) => i.lease_id))].map((id) => leaseById.get(id)!);
  // Refused early here; the transaction checks again with the worker row locked (addUploadedItems).
  const flagged = named.find((l) => l.flagged_at !== null);
  if (flagged) throw flaggedWorker(flagged.worker_uid);
  return {
    items: out,
    comparedLeases: new Set(named.filter((l) => l.compared === 1).map((l) => l.id)),
    workerUids: new Map(named.map((l) => [l.worker_id, l.worker_uid])),
  };
}

/** Fields that have no column of their own (the columns are not repeated in the JSON). */
function extraFields(f: CertificateFields): Record<string, unknown> {
  const {
    subjectDn: _s, issuerDn: _i, commonName: _c, issuerCommonName: _ic, issuerOrganization: _io, sanDns: _d, serialHex: _h,
    notBefore: _nb, notAfter: _na, spkiSha256: _k, keyAlgorithm: _ka, keySize: _ks, signatureAlgorithm: _sa, validationLevel: _v, validityDays: _vd,
    ...rest
  } = f;
  return rest;
}

/** The certificates row for a parsed item (exported for the ingest benchmark's ceiling). */
export function certificateRow(c: CheckedItem, tag: Buffer): NewCertificate {
  const f = c.parsed.fields!;
  const isFinal = c.parsed.entryType === 'x509_entry';
  return {
    identity: c.identity!,
    log_name: c.item.log_name,
    friend_name: c.item.friend_name,
    leaf_index: c.item.index,
    leaf_timestamp: c.parsed.timestamp,
    issuer_dn: f.issuerDn,
    subject_dn: f.subjectDn,
    common_name: f.commonName?.slice(0, 1024) ?? null,
    issuer_cn: f.issuerCommonName?.slice(0, 1024) ?? null,
    issuer_org: f.issuerOrganization?.slice(0, 1024) ?? null,
    san_dns: JSON.stringify(f.sanDns),
    jp_names: JSON.stringify(c.parsed.jpNames),
    serial_hex: f.serialHex.slice(0, 128),
    not_before: f.notBefore,
    not_after: f.notAfter,
    validity_days: f.validityDays,
    key_algorithm: f.keyAlgorithm.slice(0, 32),
    key_size: f.keySize,
    signature_algorithm: f.signatureAlgorithm.slice(0, 64),
    spki_sha256: Buffer.from(f.spkiSha256, 'hex'),
    validation_level: f.validationLevel,
    cert_sha256: isFinal ? Buffer.from(f.sha256, 'hex') : null,
    precert_tbs_sha256: isFinal ? null : Buffer.from(f.sha256, 'hex'),
    seen_precert: isFinal ? 0 : 1,
    seen_final: isFinal ? 1 : 0,
    fields: JSON.stringify(extraFields(f)),
    upload_tag: tag,
  };
}

/** The sightings row for a parsed item. */
export function sightingRow(c: CheckedItem, certificateId: number | null, tag: Buffer): NewSighting {
  return {
    log_id: c.logId,
    leaf_index: c.item.index,
    certificate_id: certificateId,
    entry_type: c.parsed.entryType,
    leaf_timestamp: c.parsed.timestamp,
    leaf_hash: c.parsed.leafHash,
    worker_id: c.workerId,
    lease_id: c.item.lease_id,
    friend_name: c.item.friend_name,
    parse_error: c.parsed.error?.slice(0, 1000) ?? null,
    upload_tag: tag,
  };
}

/**
 * The fields JSON of a row already holding `into`, once `from` (the same certificate from another
 * leaf) is known: a final certificate's embedded SCTs are added when the row came from its
 * precertificate, which has none. The rest stays as first stored; the columns say which kinds were seen.
 */
export function mergeFields(into: string, from: string): string {
  const a = JSON.parse(into) as { scts?: unknown[]; hasEmbeddedScts?: boolean };
  const b = JSON.parse(from) as { scts?: unknown[]; hasEmbeddedScts?: boolean };
  if ((a.scts?.length ?? 0) > 0 || (b.scts?.length ?? 0) === 0) return into;
  return JSON.stringify({ ...a, scts: b.scts, hasEmbeddedScts: b.hasEmbeddedScts });
}

/** Precert and final cert of one issuance in one batch become one row carrying both. */
function mergeCertificateRows(rows: NewCertificate[]): NewCertificate[] {
  const byId = new Map<string, NewCertificate>();
  for (const r of rows) {
    const k = (r.identity as Buffer).toString('hex');
    const prev = byId.get(k);
    if (!prev) {
      byId.set(k, r);
      continue;
    }
    prev.cert_sha256 ??= r.cert_sha256;
    prev.precert_tbs_sha256 ??= r.precert_tbs_sha256;
    prev.seen_precert = Math.max(Number(prev.seen_precert), Number(r.seen_precert));
    prev.seen_final = Math.max(Number(prev.seen_final), Number(r.seen_final));
    prev.leaf_timestamp = Math.min(prev.leaf_timestamp, r.leaf_timestamp);
    prev.fields = mergeFields(prev.fields, r.fields);
  }
  return [...byId.values()].sort((a, b) => Buffer.compare(a.identity as Buffer, b.identity as Buffer));
}

/** Counts per log and per (log, day) of what an upload added. */
class UploadCounts {
  readonly perLog = new Map<number, { sightings: number; certificates: number }>();
  readonly perDay = new Map<string, DailyCounts>();

  add(logId: number, day: string, sightings: number, certificates: number): void {
    const l = this.perLog.get(logId) ?? { sightings: 0, certificates: 0 };
    l.sightings += sightings;
    l.certificates += certificates;
    this.perLog.set(logId, l);
    const k = `${logId}|${day}`;
    const d = this.perDay.get(k) ?? { logId, day, sightings: 0, certificates: 0 };
    d.sightings += sightings;
    d.certificates += certificates;
    this.perDay.set(k, d);
  }
}

export async function ingestUpload(db: Db, store: LeafStore, items: UploadItem[], friendName: string | null): Promise<UploadResponse> {
  const upload = await checkUpload(db, items, friendName);
  const checked = upload.items;
  const unparsable = checked.filter((c) => c.identity === null).length;
  const logUrls = new Set(checked.map((c) => c.logUrl));
  await store.prepare(db, logUrls);
  const logIdByName = new Map(checked.map((c) => [c.item.log_name, c.logId]));
  const sorted = [...checked].sort((a, b) => a.logId - b.logId || a.item.index - b.item.index);
  const result = await inTransaction(db, async (trx) => {
    const tag = randomBytes(16);
    const counts = new UploadCounts();
    // 1. Distinct certificates; those stored with this upload's tag are new.
    const certRows = mergeCertificateRows(checked.filter((c) => c.identity !== null).map((c) => certificateRow(c, tag)));
    const stored = await upsertCertificates(trx, certRows);
    const certIdByIdentity = new Map(stored.map((r) => [r.identity.toString('hex'), r.id]));
    const newIds = new Set<number>();
    for (const r of stored) {
      if (!r.upload_tag.equals(tag)) continue;
      newIds.add(r.id);
      counts.add(logIdByName.get(r.log_name)!, utcDay(r.leaf_timestamp), 0, 1);
    }
    // The DNS names of the certificates created here, for the domain look-up.
    await insertCertificateNames(
      trx,
      certRows.flatMap((r) => {
        const id = certIdByIdentity.get((r.identity as Buffer).toString('hex'))!;
        return newIds.has(id) ? [{ id, common_name: r.common_name ?? null, san_dns: r.san_dns }] : [];
      }),
    );
    // 2. Sightings, in (log, index) order; those written now are new.
    const written = await insertNewSightings(
      trx,
      sorted.map((c) => sightingRow(c, c.identity ? certIdByIdentity.get(c.identity.toString('hex'))! : null, tag)),
    );
    const newKeys = new Set(written.map((r) => `${r.log_id}:${r.leaf_index}`));
    const fresh = sorted.filter((c) => newKeys.has(`${c.logId}:${c.item.index}`));
    await recordLeaseReports(
      trx,
      sorted.filter((c) => upload.comparedLeases.has(c.item.lease_id)).map((c) => ({ lease_id: c.item.lease_id, leaf_index: c.item.index, leaf_hash: c.parsed.leafHash })),
    );
    // 3. Raw leaf lines: written at the committed end of their files, which stay locked until
    // the commit. If the transaction fails or runs again, what it wrote is cut or written over.
    const byUrl = new Map<string, LeafLine[]>();
    for (const c of fresh) {
      const lines = byUrl.get(c.logUrl) ?? [];
      lines.push({ index: c.item.index, leafInput: c.item.leaf_input });
      byUrl.set(c.logUrl, lines);
    }
    await store.writeInTransaction(trx, byUrl);
    // 4. Counter rows, last: workers (every worker of the upload, refused if flagged), then daily and log counts.
    const perWorker = new Map([...upload.workerUids.keys()].map((id) => [id, 0]));
    for (const c of fresh) {
      perWorker.set(c.workerId, perWorker.get(c.workerId)! + 1);
      counts.add(c.logId, c.day, 1, 0);
    }
    const refused = await addUploadedItems(trx, perWorker);
    if (refused.length > 0) throw flaggedWorker(upload.workerUids.get(refused[0])!);
    await addDailyCounts(trx, [...counts.perDay.values()]);
    await addLogCounts(trx, counts.perLog);
    testFaultPoint('lines-written');
    return { newSightings: fresh.length, newCertificates: newIds.size };
  }).catch(async (err: unknown) => {
    // Lines this upload wrote are past the committed end: cut them now rather than at the next
    // upload to the file or the next start (if this fails too, those still do it).
    await store.cutUncommitted(db, logUrls).catch(() => undefined);
    throw err;
  });
  testFaultPoint('committed');
  return {
    received: items.length,
    new_sightings: result.newSightings,
    new_certificates: result.newCertificates,
    duplicates: items.length - result.newSightings,
    unparsable,
  };
}
