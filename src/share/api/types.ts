/**
 * TypeScript types of the manager API, written beside the JSON Schemas in
 * schemas.ts (which are what is enforced). Snake case, as on the wire.
 */

/** A CT log's read API, as the catalogue says. */
export type LogApi = 'rfc6962' | 'static-ct-api';

export interface ApiError {
  statusCode: number;
  error: string;
  message: string;
  code?: string;
}

export interface StaleLeaseError extends ApiError {
  stale_leases: number[];
}

export interface Directives {
  paused: boolean;
  min_worker_version: string | null;
  ping_interval_s: number;
  upload_max_items: number;
  slow_logs: { log_name: string; min_interval_ms: number }[];
  /** The collection operator's contact for the CT logs' operators (absent from older managers). */
  contact?: string | null;
}

export interface WorkerIdentity {
  worker_id: string;
  friend_name: string;
  version: string;
}

export type RegisterRequest = WorkerIdentity;

export interface RegisterResponse {
  worker_id: string;
  friend_name: string;
  state: string;
  directives: Directives;
}

export interface InstructionsRequest extends WorkerIdentity {
  categories?: string[];
}

export interface Assignment {
  lease_id: number;
  category: string;
  log_name: string;
  log_url: string;
  /** Inclusive. */
  start: number;
  /** Inclusive. */
  end: number;
  page_size: number | null;
  resumed: boolean;
  min_interval_ms?: number | null;
  /** Base64 DER SubjectPublicKeyInfo of the log, from the manager's catalogue. */
  log_key?: string | null;
  /** The log's read API; absent (an older manager) means 'rfc6962'. For 'static-ct-api', log_url is the monitoring prefix. */
  log_api?: LogApi;
  /** The origin a static-ct-api log's checkpoints carry (its submission URL without scheme and trailing slash); null otherwise or when unknown. */
  log_origin?: string | null;
  /** An RFC 6962 log that also serves data tiles at `${log_url}tile/data/N`, to read instead of get-entries; absent means false. */
  data_tiles?: boolean;
  /** Where to read the entries (absent: 'origin', at log_url). Uploads name log_url whatever this says. */
  read_from?: ReadFrom;
  /** The mirror's base URL, or the first archive zip. */
  read_url?: string | null;
  /** The archive's zip URLs in tree order (read_from 'archive'). */
  archives?: string[];
  /** A shut-down log's final tree head as the manager verified it: the only one the worker may read against. */
  tree_head?: { tree_size: number; root_hash: string } | null;
}

/** Where a log's entries are read: its own URL, a mirror, or its zip archives. */
export type ReadFrom = 'origin' | 'mirror' | 'archive';

export interface InstructionsResponse {
  assignments: Assignment[];
  idle: boolean;
  directives: Directives;
}

export interface UploadItem {
  leaf_input: string;
  ct_log_url: string;
  log_name: string;
  friend_name: string;
  index: number;
  lease_id: number;
}

export type UploadRequest = UploadItem[];

export interface UploadResponse {
  received: number;
  new_sightings: number;
  new_certificates: number;
  duplicates: number;
  unparsable: number;
}

/**
 * CT timestamps (ms since the epoch) of the first and last entries of the stretch a report
 * confirms: the indexes after the position the manager last acknowledged, through the new one.
 * Both or neither; absent (an older worker) leaves the stretch's time unknown.
 */
export interface StretchTimestamps {
  first_timestamp?: number;
  last_timestamp?: number;
}

export interface LeaseReport extends StretchTimestamps {
  lease_id: number;
  confirmed: number;
  collected?: number;
}

export interface PingRequest {
  worker_id: string;
  version: string;
  leases: LeaseReport[];
  spool_backlog?: number;
  rate_limited?: number;
  collected?: number;
}

export interface PingResponse {
  ok: boolean;
  directives: Directives;
}

/** Whether the worker proved the lease's entries are in the log's signed tree (two inclusion proofs). */
export interface LeaseVerification {
  state: 'verified' | 'failed' | 'unverified';
  /** The tree size the proofs were for (verified only). */
  tree_size?: number;
  /** The tree head carried the log key's signature (verified only). */
  signed?: boolean;
  /** Why it failed or could not be checked. */
  reason?: string;
  /** Base64 root hash of the tree head the proofs were for (verified only); compared by audits. */
  root_hash?: string;
}

export interface CompleteRequest extends StretchTimestamps {
  worker_id: string;
  lease_id: number;
  verification?: LeaseVerification;
}

export interface CompleteResponse {
  ok: boolean;
}

export interface TerminateRequest {
  worker_id: string;
  leases: LeaseReport[];
  spool_backlog?: number;
}

export interface TerminateResponse {
  released: number;
}

export interface LeaseStatus {
  lease_id: number;
  log_name: string;
  category: string;
  start: number;
  end: number;
  confirmed: number;
  state: string;
  rate: number;
}

/** A lease whose worker fell silent: its range waits until the reaper declares the worker dead. */
export interface StalledLease {
  lease_id: number;
  worker_id: string;
  friend_name: string;
  /** Seconds since the worker's last ping. */
  silent_s: number;
  /** Seconds until its silence reaches dead-after (0: the reaper's next pass). */
  dead_in_s: number;
}

/** A category's logs summed: rates add up, the ETA is their remaining entries over their rate. */
export interface CategoryStatus {
  category: string;
  target_entries: number;
  remaining_entries: number;
  rate: number;
  rate_last_hour: number;
  eta_s: number | null;
}

export interface LogStatus {
  name: string;
  category: string;
  url: string;
  available: boolean;
  /** The catalogue marks the log as shut down for good (it is still asked, in case it answers). */
  shut_down: boolean;
  /** Where the log is read from: its own url, a mirror (read_url) or its zip archives (read_url: the first zip). */
  read_from: ReadFrom;
  read_url: string | null;
  /** The log's read API (for 'static-ct-api', url is the monitoring prefix). */
  api: LogApi;
  /** An RFC 6962 log that also serves data tiles, which workers read instead of get-entries. */
  data_tiles: boolean;
  last_error: string | null;
  checked_at: string | null;
  tree_size: number | null;
  target_start: number;
  target_end: number | null;
  target_mode: string | null;
  target_note: string | null;
  handed_out_to: number;
  scanned: number;
  certificates: number;
  sightings: number;
  /** Entries/s confirmed over the last rate_windows.now_s (pings, completions and terminations alike). */
  rate: number;
  /** Entries/s confirmed over the last rate_windows.last_hour_s. */
  rate_last_hour: number;
  /** Seconds until the target is scanned at `rate`: 0 when done, null without a target or a rate. */
  eta_s: number | null;
  /** Active leases whose worker is silent for longer than the ping interval but not yet declared dead. */
  stalled_leases: StalledLease[];
  resume_waiting: number;
  resume_waiting_entries: number;
  /** Entries in completed leases whose worker proved them to be in a signed tree head. */
  verified: number;
  /** Completed leases whose entries contradicted the log's inclusion proofs. */
  verification_failures: number;
  /** Second scans of the log: audits, disputes, rescans, quarantine. */
  audit: LogAudit;
}

/** A log's audits and rescans (docs/manager-api.md, "Audits, rescans and quarantine"). */
export interface LogAudit {
  /** Entries scanned a second (or third) time by completed audit leases. */
  audited_entries: number;
  /** Entries scanned again by completed rescan leases (failed, unverified or flagged ranges). */
  rescanned_entries: number;
  /** (audited_entries + rescanned_entries) / scanned: the share of entries scanned twice; 0 before anything is scanned. */
  twice_share: number;
  /** Audits whose second scan is waiting or running. */
  pending_audits: number;
  /** Second scans (audits, disputes, rescans) that are waiting and that no alive worker may take: an audit needs a worker of another friend. */
  waiting_for_friend: number;
  /** Audits whose scans agreed. */
  confirmed_audits: number;
  /** Open disputes: the two scans disagreed, a third scan by a third friend is waiting or running. */
  disputes: number;
  /** Disputes the majority decided (a worker was flagged, or the re-read reports agreed). */
  disputes_settled: number;
  /** Disputes where all three scans disagreed: nobody is flagged, the range stays unproven. */
  disputes_unresolved: number;
  /** Ranges waiting for a verified scan by a worker in good standing (a failed, unverified or flagged scan), until one exists. */
  unproven_ranges: number;
  unproven_entries: number;
  /** Ranges left unproven after too many second scans without a verified proof, with the reason (at most 20). */
  given_up: { start: number; end: number; reason: string }[];
  /** Certificates first seen in this log that only a flagged worker's unconfirmed sightings support. */
  quarantined_certificates: number;
  /** This log's sightings a flagged worker reported first and no other scan confirmed. */
  quarantined_sightings: number;
}

/** One disagreement that made a worker wrong: what it reported against what the majority did. */
export interface FlagEvidence {
  /** When the dispute was decided. */
  at: string;
  audit_id: number;
  log_name: string;
  /** The range, inclusive. */
  start: number;
  end: number;
  /** The wrong worker's lease, and the leases of the majority. */
  lease_id: number;
  other_lease_ids: number[];
  /** Indexes it reported that the others did not, or with another leaf hash (at most 100; the counts are exact). */
  extra: number[];
  extra_count: number;
  /** Indexes the others reported that it did not, or with another leaf hash (at most 100). */
  missing: number[];
  missing_count: number;
  /** Its verdict and the others', with the tree heads proven against. */
  verdict: string | null;
  other_verdicts: (string | null)[];
  tree_heads: { lease_id: number; worker_id: string; friend_name: string; verification: string | null; tree_size: number | null; root_hash: string | null }[];
  /** Two of these leases name the same tree size with different root hashes. */
  tree_head_conflict: boolean;
}

/** Why a worker is refused work until an operator clears it. */
export interface WorkerFlag {
  at: string;
  reason: string;
  evidence: FlagEvidence[];
  /** Its sightings in quarantine now. */
  quarantined_sightings: number;
}

export interface WorkerStatus {
  worker_id: string;
  friend_name: string;
  state: 'alive' | 'dead' | 'stopped';
  version: string;
  last_ping_at: string;
  collected: number;
  uploaded_items: number;
  spool_backlog: number;
  rate_limited: number;
  leases: LeaseStatus[];
  /** null, or why an audit found this worker wrong (it gets no new leases until cleared). */
  flagged: WorkerFlag | null;
}

export interface StatusResponse {
  generated_at: string;
  planning: { mode: 'fraction' | 'window'; fraction: number; window: string | null; window_widened_hours: number; assignment_size: number };
  totals: {
    logs: number;
    logs_available: number;
    certificates: number;
    sightings: number;
    target_entries: number;
    scanned_entries: number;
    workers_alive: number;
    workers_dead: number;
    workers_stopped: number;
    /** Left out of certificates and sightings (and of export and analysis) until cleared or confirmed. */
    quarantined_certificates: number;
    quarantined_sightings: number;
    /** Workers flagged by an audit and not cleared yet. */
    workers_flagged: number;
    /** Target entries not scanned yet, all logs with a target. */
    remaining_entries: number;
    /** Entries/s confirmed over the last rate_windows.now_s, all logs. */
    rate: number;
    rate_last_hour: number;
    eta_s: number | null;
  };
  /** The windows `rate` and `rate_last_hour` are measured over (seconds). */
  rate_windows: { now_s: number; last_hour_s: number };
  categories: CategoryStatus[];
  logs: LogStatus[];
  daily: { log_name: string; day: string; sightings: number; certificates: number }[];
  workers: WorkerStatus[];
}

export interface ReplanResponse {
  logs: { name: string; available: boolean; target_end: number | null; note: string | null }[];
}

export interface DirectivesUpdate {
  paused?: boolean;
  min_worker_version?: string | null;
  slow_logs?: { log_name: string; min_interval_ms: number | null }[];
}

/** One scanned stretch of a log, as `GET /api/v1/coverage` and the export's coverage file give it. */
export interface CoverageStretchJson {
  /** Indexes, inclusive. */
  start: number;
  end: number;
  /** CT timestamps (ISO) of the stretch's first and last entries; null when the worker did not report them. */
  first_timestamp: string | null;
  last_timestamp: string | null;
  /** Proven against a signed tree head. */
  proven: boolean;
}

export interface LogCoverage {
  name: string;
  category: string;
  /**
   * Only logs of the catalogue count for the observed periods (a log left out, e.g. by --window, is
   * listed but not asked for). Always sent by the manager; optional so that files written before it
   * existed still read.
   */
  in_catalogue?: boolean;
  shut_down: boolean;
  read_from: ReadFrom;
  /** The log takes certificates expiring in [start_inclusive, end_exclusive); null: any. */
  temporal_interval: { start_inclusive: string; end_exclusive: string } | null;
  /** Maximum merge delay used as slack at each end of a stretch. */
  mmd_seconds: number;
  /** Scanned stretches, merged where their indexes touch, in index order. */
  stretches: CoverageStretchJson[];
  /** The times the log covers: each stretch's [first + MMD, last − MMD], merged (src/share/coverage.ts). */
  covered: { start: string; end: string }[];
}

/** `GET /api/v1/coverage`, and `<export>.coverage.json`: what ctjp has looked at. */
export interface CoverageResponse {
  generated_at: string;
  logs: LogCoverage[];
  /** The times in which every log that could hold a certificate issued then was scanned (src/share/coverage.ts, observedPeriods). */
  observed_periods: { start: string; end: string }[];
}

/** `POST /api/v1/admin/workers/{worker_id}/clear`: lift a worker's flag. */
export interface ClearWorkerRequest {
  /** true: delete its quarantined sightings, and the certificates only they support, instead of releasing them. */
  delete?: boolean;
}

export interface ClearWorkerResponse {
  worker_id: string;
  friend_name: string;
  /** Whether the worker was flagged (clearing a worker in good standing changes nothing). */
  was_flagged: boolean;
  released_sightings: number;
  released_certificates: number;
  deleted_sightings: number;
  deleted_certificates: number;
}
