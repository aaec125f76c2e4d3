/**
 * Upload ingest. Everything is checked before anything is written (base64,
 * leaf framing, the .jp decision, log, URL, friend, lease and index); then one
 * transaction inserts each distinct certificate once (unique identity), each
 * (log, index) sighting once, adds to the maintained counters and, last,
 * writes the new sightings' raw leaf lines (leaf-store.ts: the files agree
 * with the database after any crash). Rows this request created are
 * recognised by a random upload tag, so counters and the raw leaf files only
 * ever see what was new: the same upload twice changes nothing.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { CtDecodeError, decodeBase64 } from '../../share/ct/index.js';
import type { UploadItem, UploadResponse } from '../../share/api/index.js';
import type { Db } from '../../db/connect.js';
import { inTransaction } from '../../db/transaction.js';
import type { NewCertificate, NewSighting } from '../../db/tables.js';
import { badRequest, forbidden, unprocessable } from '../errors.js';
import { insertCertificateNames } from '../repositories/certificate-names.js';
import { recordLeaseReports } from '../repositories/audits.js';
import { addLogCounts } from '../repositories/counters.js';
import { certificateIdentity, parseLeaf, type CertificateFields, type ParsedLeaf } from './leaf-parser.js';
import type { LeafLine, LeafStore } from './leaf-store.js';
import { testFaultPoint } from './test-fault.js';

const CHUNK = 500;
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

function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** Validate and parse every item; throws an ApiProblem naming the first bad one. No writes. */
export async function checkUpload(db: Db, items: UploadItem[], friendName: string | null): Promise<CheckedItem[]> {
  const logNames = [...new Set(items.map((i) => i.log_name))];
  const leaseIds = [...new Set(items.map((i) => i.lease_id))];
  const [logs, leases] = await Promise.all([
    db.selectFrom('logs').select(['id', 'name', 'url']).where('name', 'in', logNames).execute(),
    db
      .selectFrom('leases')
      .innerJoin('workers', 'workers.id', 'leases.worker_id')
      .select(['leases.id', 'leases.log_id', 'leases.worker_id', 'leases.start_index', 'leases.end_index', 'workers.friend_name'])
      .where('leases.id', 'in', leaseIds)
      .execute(),
  ]);
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
  return out;
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

/**
 * The same in SQL, for ON DUPLICATE KEY UPDATE: keep in step with mergeFields. It reads only
 * `fields` and VALUES(fields), so it does not matter which columns the statement assigns first.
 */
const MERGE_FIELDS_SQL = sql<string>`IF(
  JSON_LENGTH(VALUES(fields), '$.scts') > 0 AND COALESCE(JSON_LENGTH(fields, '$.scts'), 0) = 0,
  JSON_SET(fields, '$.scts', JSON_EXTRACT(VALUES(fields), '$.scts'), '$.hasEmbeddedScts', JSON_EXTRACT(VALUES(fields), '$.hasEmbeddedScts')),
  fields)`;

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

export async function ingestUpload(db: Db, store: LeafStore, items: UploadItem[], friendName: string | null): Promise<UploadResponse> {
  const checked = await checkUpload(db, items, friendName);
  const unparsable = checked.filter((c) => c.identity === null).length;
  const logUrls = new Set(checked.map((c) => c.logUrl));
  await store.prepare(db, logUrls);
  const result = await inTransaction(db, async (trx) => {
    await recordLeaseReports(trx, checked);
    const tag = randomBytes(16);
    // 1. Distinct certificates.
    const certRows = mergeCertificateRows(checked.filter((c) => c.identity !== null).map((c) => certificateRow(c, tag)));
    const certIds = new Map<string, { id: number; isNew: boolean; logName: string; day: string }>();
    for (const part of chunks(certRows, CHUNK)) {
      await trx
        .insertInto('certificates')
        .values(part)
        .onDuplicateKeyUpdate({
          cert_sha256: sql`COALESCE(cert_sha256, VALUES(cert_sha256))`,
          precert_tbs_sha256: sql`COALESCE(precert_tbs_sha256, VALUES(precert_tbs_sha256))`,
          seen_precert: sql`GREATEST(seen_precert, VALUES(seen_precert))`,
          seen_final: sql`GREATEST(seen_final, VALUES(seen_final))`,
          // A final certificate arriving after its precertificate brings the SCTs the analysis reads.
          fields: MERGE_FIELDS_SQL,
          // The earliest CT timestamp of all sightings (logs see one issuance at different times).
          leaf_timestamp: sql`LEAST(leaf_timestamp, VALUES(leaf_timestamp))`,
        })
        .execute();
      const rows = await trx
        .selectFrom('certificates')
        .select(['id', 'identity', 'upload_tag', 'log_name', 'leaf_timestamp'])
        .where(
          'identity',
          'in',
          part.map((r) => r.identity as Buffer),
        )
        .execute();
      for (const r of rows) certIds.set(r.identity.toString('hex'), { id: r.id, isNew: r.upload_tag.equals(tag), logName: r.log_name, day: utcDay(r.leaf_timestamp) });
    }
    // The DNS names of the certificates created here, for the domain look-up.
    await insertCertificateNames(
      trx,
      certRows.flatMap((r) => {
        const cert = certIds.get((r.identity as Buffer).toString('hex'));
        return cert?.isNew ? [{ id: cert.id, common_name: r.common_name ?? null, san_dns: r.san_dns }] : [];
      }),
    );
    // 2. Sightings, in (log, index) order.
    const sorted = [...checked].sort((a, b) => a.logId - b.logId || a.item.index - b.item.index);
    for (const part of chunks(sorted, CHUNK)) {
      await trx
        .insertInto('sightings')
        .ignore()
        .values(
          part.map((c) => sightingRow(c, c.identity ? certIds.get(c.identity.toString('hex'))!.id : null, tag)),
        )
        .execute();
    }
    const newKeys = new Set<string>();
    const byLog = new Map<number, CheckedItem[]>();
    for (const c of sorted) {
      const list = byLog.get(c.logId);
      if (list) list.push(c);
      else byLog.set(c.logId, [c]);
    }
    for (const [logId, list] of byLog) {
      for (const part of chunks(list, CHUNK)) {
        const rows = await trx
          .selectFrom('sightings')
          .select('leaf_index')
          .where('log_id', '=', logId)
          .where(
            'leaf_index',
            'in',
            part.map((c) => c.item.index),
          )
          .where('upload_tag', '=', tag)
          .execute();
        for (const r of rows) newKeys.add(`${logId}:${r.leaf_index}`);
      }
    }
    const fresh = sorted.filter((c) => newKeys.has(`${c.logId}:${c.item.index}`));
    // 3. Maintained counters.
    const logIdByName = new Map(checked.map((c) => [c.item.log_name, c.logId]));
    const perWorker = new Map<number, number>();
    const perLog = new Map<number, { sightings: number; certificates: number }>();
    const perDay = new Map<string, { logId: number; day: string; sightings: number; certificates: number }>();
    const bump = (logId: number, day: string, s: number, cs: number): void => {
      const l = perLog.get(logId) ?? { sightings: 0, certificates: 0 };
      l.sightings += s;
      l.certificates += cs;
      perLog.set(logId, l);
      const k = `${logId}|${day}`;
      const d = perDay.get(k) ?? { logId, day, sightings: 0, certificates: 0 };
      d.sightings += s;
      d.certificates += cs;
      perDay.set(k, d);
    };
    for (const c of fresh) {
      perWorker.set(c.workerId, (perWorker.get(c.workerId) ?? 0) + 1);
      bump(c.logId, c.day, 1, 0);
    }
    let newCertificates = 0;
    for (const cert of certIds.values()) {
      if (!cert.isNew) continue;
      newCertificates++;
      bump(logIdByName.get(cert.logName)!, cert.day, 0, 1);
    }
    for (const [workerId, n] of [...perWorker].sort((a, b) => a[0] - b[0])) {
      await trx.updateTable('workers').set((eb) => ({ uploaded_items: eb('uploaded_items', '+', n) })).where('id', '=', workerId).execute();
    }
    await addLogCounts(trx, perLog);
    const days = [...perDay.values()].sort((a, b) => a.logId - b.logId || a.day.localeCompare(b.day));
    if (days.length > 0) {
      await trx
        .insertInto('daily_counts')
        .values(days.map((d) => ({ log_id: d.logId, day: d.day, sightings: d.sightings, certificates: d.certificates })))
        .onDuplicateKeyUpdate({ sightings: sql`sightings + VALUES(sightings)`, certificates: sql`certificates + VALUES(certificates)` })
        .execute();
    }
    // 4. Raw leaf lines, last: written at the committed end of their files, which stay locked
    // until the commit. If the transaction fails or runs again, what it wrote is cut or written over.
    const byUrl = new Map<string, LeafLine[]>();
    for (const c of fresh) {
      const lines = byUrl.get(c.logUrl) ?? [];
      lines.push({ index: c.item.index, leafInput: c.item.leaf_input });
      byUrl.set(c.logUrl, lines);
    }
    await store.writeInTransaction(trx, byUrl);
    testFaultPoint('lines-written');
    return { newSightings: fresh.length, newCertificates };
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

