/**
 * One TypeScript type per table of the manager's MySQL schema (see
 * docs/manager-api.md). Generated<> marks columns the database fills in;
 * every index, size and counter is a BIGINT and arrives as a JS number
 * (mysql2 is configured with supportBigNumbers, so values beyond 2^53 would
 * arrive as strings rather than silently lose precision).
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { LogApi, ReadFrom } from '../share/logs/catalogue.js';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** A CT log from the catalogue, with its planned target range and maintained counters. */
export interface LogsTable {
  id: Generated<number>;
  name: string;
  category: string;
  /** For a static-ct-api log, the monitoring prefix. */
  url: string;
  /** The catalogue's api: 'rfc6962' | 'static-ct-api'. */
  api: Generated<LogApi>;
  /** The catalogue's submission_url (ending in '/'), when given. */
  submission_url: string | null;
  /** For a static-ct-api log with a submission URL: the origin its checkpoints carry (checkpointOrigin()). */
  checkpoint_origin: string | null;
  /** The catalogue's data_tiles: an RFC 6962 log that also serves static-ct-api data tiles. */
  data_tiles: Generated<number>;
  /** The catalogue's temporal_interval, [start, end): null when not given. */
  temporal_interval_start: Timestamp | null;
  temporal_interval_end: Timestamp | null;
  /** The catalogue's mirrors and archives, JSON arrays of URLs; null when not given. */
  mirrors: string | null;
  archives: string | null;
  /** The catalogue's final tree head (a read-only log): mirrors and archives must serve exactly it. */
  final_tree_size: number | null;
  final_root_hash: string | null;
  /** Base64 DER SubjectPublicKeyInfo, when the catalogue has it. */
  public_key: string | null;
  in_catalogue: Generated<number>;
  /** The catalogue marks the log shut down for good: unanswered, it keeps no worker waiting. */
  shut_down: Generated<number>;
  available: Generated<number>;
  last_error: string | null;
  checked_at: Timestamp | null;
  next_check_at: Timestamp | null;
  tree_size: number | null;
  sth_timestamp: number | null;
  /** Base64 root hash of the largest verified tree head (tree_size): every later one must extend it. */
  root_hash: string | null;
  /** Where the log is read from now: 'origin', 'mirror' (read_url) or 'archive' (read_archives). */
  read_from: Generated<ReadFrom>;
  /** The mirror's base URL, or the archive's first zip. */
  read_url: string | null;
  /** The archive's zip URLs for its checkpoint's tree size (a JSON array). */
  read_archives: string | null;
  /** Entries per get-entries answer where known (Google 32, DigiCert 256). */
  page_size: number | null;
  /** Inclusive target range. target_end null until the log has been planned. */
  target_start: Generated<number>;
  target_end: number | null;
  /** 'fraction' or 'window', and a human note on how the bounds were found. */
  target_mode: string | null;
  target_note: string | null;
  /** The next index never handed out in a fresh range. */
  next_index: Generated<number>;
  /** Directive to workers: wait at least this long between get-entries calls. */
  min_interval_ms: number | null;
  created_at: Generated<Date>;
}

/** Maintained per-log counters, spread over a few shard rows per log (sum them). */
export interface LogCountersTable {
  log_id: number;
  shard: number;
  /** Entries confirmed scanned. */
  scanned: Generated<number>;
  /** Distinct certificates first seen in this log. */
  certificates: Generated<number>;
  /** (log, index) sightings stored. */
  sightings: Generated<number>;
  /** Entries of completed leases proven to be in a signed tree head. */
  verified: Generated<number>;
  /** Completed leases whose entries contradicted the log's proofs. */
  verification_failures: Generated<number>;
}

/** A contiguous part of a log's target range; at most one active lease at a time. */
export interface RangesTable {
  id: Generated<number>;
  log_id: number;
  start_index: number;
  end_index: number;
  /** fresh (cut, never handed out) | assigned | running | done | resume_waiting */
  state: string;
  /** Next index to scan: start_index, or last confirmed position + 1. */
  resume_from: number;
  current_lease_id: number | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

/** Every instruction ever given: one lease per (range, worker) hand-out. */
export interface LeasesTable {
  id: Generated<number>;
  range_id: number;
  log_id: number;
  worker_id: number;
  start_index: number;
  end_index: number;
  /** Last confirmed position (start_index - 1 when nothing is confirmed yet). */
  confirmed: number;
  /** active | completed | expired | terminated | released */
  state: string;
  /** Entries per second between the last two pings. */
  rate: Generated<number>;
  created_at: Timestamp;
  last_progress_at: Timestamp;
  ended_at: Timestamp | null;
  /** What the worker reported on completion: verified | failed | unverified (null: not reported). */
  verification: string | null;
  verified_tree_size: number | null;
  verification_note: string | null;
  /** 'scan' (a range's own scan), or a second scan of a range an audit asks for: 'audit' | 'rescan'. */
  kind: Generated<LeaseKind>;
  /** 1: selected at hand-out to be audited when it completes (the worker is never told). */
  audited: Generated<number>;
  /** 1: the items it reports are recorded in lease_reports, to be compared. */
  compared: Generated<number>;
  /** The audit a second scan serves. */
  audit_id: number | null;
  /** Base64 root hash of the tree head the worker proved the entries against, when it said. */
  verified_root_hash: string | null;
}

/** One stretch [start_index, end_index] of a log a worker confirmed in one report (docs/manager-api.md, "Coverage"). */
export interface CoverageTable {
  id: Generated<number>;
  log_id: number;
  lease_id: number;
  worker_id: number;
  start_index: number;
  end_index: number;
  /** CT timestamps (ms) of the stretch's first and last entries, as the worker reported them; null from an older worker. */
  first_timestamp: number | null;
  last_timestamp: number | null;
  /** 1 once the lease completed with a `verified` verdict. */
  proven: Generated<number>;
  created_at: Timestamp;
}

export interface WorkersTable {
  id: Generated<number>;
  /** The identifier the worker chose for itself (stable across its restarts). */
  worker_uid: string;
  friend_name: string;
  version: string;
  /** alive | dead | stopped */
  state: string;
  registered_at: Timestamp;
  last_ping_at: Timestamp;
  collected: Generated<number>;
  uploaded_items: Generated<number>;
  spool_backlog: Generated<number>;
  rate_limited: Generated<number>;
  /** Set when an audit found the worker wrong; it gets no leases until an operator clears it. */
  flagged_at: Timestamp | null;
  flag_reason: string | null;
  /** JSON array of FlagEvidence. */
  flag_evidence: string | null;
}

/** One row per distinct certificate; a precertificate and its final certificate share it. */
export interface CertificatesTable {
  id: Generated<number>;
  /** certificateIdentity(): SHA-256 over the duplicate-test fields. Unique. */
  identity: Buffer;
  /** First sighting: log, friend and leaf index. */
  log_name: string;
  friend_name: string;
  leaf_index: number;
  leaf_timestamp: number;
  issuer_dn: string;
  subject_dn: string;
  common_name: string | null;
  issuer_cn: string | null;
  issuer_org: string | null;
  san_dns: string;
  jp_names: string;
  serial_hex: string;
  not_before: Timestamp;
  not_after: Timestamp;
  validity_days: number;
  key_algorithm: string;
  key_size: number | null;
  signature_algorithm: string;
  spki_sha256: Buffer;
  validation_level: string;
  /** SHA-256 of the final certificate's DER; null while only the precertificate was seen. */
  cert_sha256: Buffer | null;
  precert_tbs_sha256: Buffer | null;
  seen_precert: number;
  seen_final: number;
  /** Every extracted field, for the analysis. */
  fields: string;
  upload_tag: Buffer;
  created_at: Generated<Date>;
  /** 1: only a flagged worker's unconfirmed sightings support it: left out of totals, export and analysis. */
  quarantined: Generated<number>;
}

/** One row per (certificate, DNS name it covers): SAN dNSNames and a DNS-name CN, as coveredDnsNames() gives them. */
export interface CertificateNamesTable {
  certificate_id: number;
  name: string;
  /** REVERSE(name), computed by the database: the names under example.jp are the prefix `pj.elpmaxe.`. */
  name_rev: ColumnType<string, never, never>;
}

/** Every (log, index) seen. */
export interface SightingsTable {
  id: Generated<number>;
  log_id: number;
  leaf_index: number;
  certificate_id: number | null;
  entry_type: string;
  leaf_timestamp: number;
  leaf_hash: Buffer;
  worker_id: number | null;
  lease_id: number | null;
  friend_name: string;
  /** Set when the certificate inside the leaf could not be parsed. */
  parse_error: string | null;
  upload_tag: Buffer;
  created_at: Generated<Date>;
  /** 1: reported first by a flagged worker and confirmed by no other scan. */
  quarantined: Generated<number>;
}

/** Per log and UTC day of the leaf timestamp. */
export interface DailyCountsTable {
  log_id: number;
  day: string;
  sightings: number;
  certificates: number;
}

export interface TokensTable {
  id: Generated<number>;
  friend_name: string;
  token_sha256: Buffer;
  is_admin: number;
  created_at: Generated<Date>;
  revoked_at: Timestamp | null;
  last_used_at: Timestamp | null;
}

/** Manager-wide settings sent to workers as directives (pause, minimum version). */
export interface SettingsTable {
  name: string;
  value: string;
}

export type LeaseKind = 'scan' | 'audit' | 'rescan';

/**
 * A range that needs another scan: an audit of a selected lease (compared with it, and on
 * disagreement with a third scan), or a rescan of a range whose proof failed, was not given, or
 * came from a flagged worker.
 */
export interface AuditsTable {
  id: Generated<number>;
  log_id: number;
  range_id: number;
  /** The lease whose range is scanned again. */
  lease_id: number;
  kind: 'audit' | 'rescan';
  /** selected | failed | unverified | no_verdict | flagged */
  reason: string;
  start_index: number;
  end_index: number;
  /** waiting | leased | held (for a worker's spooled uploads) | confirmed | settled | unresolved | proven | given_up */
  state: string;
  /** 2: the second scan is sought; 3: a third, to decide a disagreement. */
  stage: Generated<number>;
  /** Second scans that completed without a verified proof. */
  attempts: Generated<number>;
  /** 1 once a scan of the range by a worker in good standing is verified. */
  proven: Generated<number>;
  current_lease_id: number | null;
  note: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One (index, leaf hash) a compared lease reported, whether or not it was new. */
export interface LeaseReportsTable {
  lease_id: number;
  leaf_index: number;
  leaf_hash: Buffer;
}

/** The committed length of a raw leaf file of one data directory (ingest/leaf-store.ts). */
export interface LeafFilesTable {
  /** The data directory's id (its `leaf-store.id` file). */
  store_id: string;
  /** The file's name in that directory. */
  file: string;
  bytes: number;
}

export interface Database {
  logs: LogsTable;
  log_counters: LogCountersTable;
  ranges: RangesTable;
  leases: LeasesTable;
  coverage: CoverageTable;
  workers: WorkersTable;
  certificates: CertificatesTable;
  certificate_names: CertificateNamesTable;
  sightings: SightingsTable;
  daily_counts: DailyCountsTable;
  tokens: TokensTable;
  settings: SettingsTable;
  leaf_files: LeafFilesTable;
  audits: AuditsTable;
  lease_reports: LeaseReportsTable;
}

export type LogRow = Selectable<LogsTable>;
export type NewLog = Insertable<LogsTable>;
export type LogUpdate = Updateable<LogsTable>;
export type RangeRow = Selectable<RangesTable>;
export type LeaseRow = Selectable<LeasesTable>;
export type NewCoverage = Insertable<CoverageTable>;
export type WorkerRow = Selectable<WorkersTable>;
export type CertificateRow = Selectable<CertificatesTable>;
export type NewCertificate = Insertable<CertificatesTable>;
export type SightingRow = Selectable<SightingsTable>;
export type NewSighting = Insertable<SightingsTable>;
export type TokenRow = Selectable<TokensTable>;
export type AuditRow = Selectable<AuditsTable>;
export type NewAuditRow = Insertable<AuditsTable>;
