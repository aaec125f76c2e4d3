/**
 * JSON Schemas of every manager API request and response, written with TypeBox. The manager
 * validates with them (fastify/ajv) and publishes them in its OpenAPI document; types.ts derives
 * the TypeScript types from them, so that the two cannot say different things.
 */
import { Type, type TNumberOptions, type TSchemaOptions, type TStringOptions } from 'typebox';
import { nullable, stringEnum } from './builders.js';
import { CATEGORY_MAX, CT_TIMESTAMP_MAX, CT_TIMESTAMP_MIN, INDEX_MAX, LEAF_INPUT_MAX_CHARS, LEASES_PER_REPORT_MAX, NAME_MAX, UPLOAD_MAX_ITEMS, URL_MAX, VERIFICATION_REASON_MAX, VERSION_MAX } from './limits.js';
import { SEMVER_PATTERN } from '../version.js';

/** Daily counts the status gives when the query does not say. */
export const STATUS_DAYS_DEFAULT = 62;
export const STATUS_DAYS_MAX = 3660;

const name = () => Type.String({ minLength: 1, maxLength: NAME_MAX, pattern: '^[^\\u0000-\\u001f\\u007f]+$' });
const workerId = () => Type.String({ minLength: 1, maxLength: NAME_MAX, pattern: '^[A-Za-z0-9._:-]+$' });
/** The version a worker reports: semantic (src/share/version.ts), so that it compares with the minimum. */
const version = () => Type.String({ minLength: 1, maxLength: VERSION_MAX, pattern: SEMVER_PATTERN, description: 'Semantic version, e.g. 1.2.0 or 1.2.0-rc.1' });
const index = (options: TNumberOptions = {}) => Type.Integer({ minimum: 0, maximum: INDEX_MAX, ...options });
/** A confirmed position may be start - 1 (nothing confirmed yet), so -1 is allowed. */
const position = (options: TNumberOptions = {}) => Type.Integer({ minimum: -1, maximum: INDEX_MAX, ...options });
const counter = (options: TNumberOptions = {}) => Type.Integer({ minimum: 0, maximum: INDEX_MAX, ...options });
const leaseId = (options: TNumberOptions = {}) => Type.Integer({ minimum: 1, maximum: INDEX_MAX, ...options });
const isoTime = (options: TStringOptions = {}) => Type.String({ format: 'date-time', ...options });
const nullableString = (options: TSchemaOptions = {}) => nullable(Type.String(), options);
const nullableInteger = (options: TSchemaOptions = {}) => nullable(Type.Integer(), options);
const logApi = (options: TSchemaOptions = {}) => stringEnum(['rfc6962', 'static-ct-api'], options);
const readFrom = (options: TSchemaOptions = {}) => stringEnum(['origin', 'mirror', 'archive'], options);
const ctTimestamp = (options: TNumberOptions = {}) => Type.Integer({ minimum: CT_TIMESTAMP_MIN, maximum: CT_TIMESTAMP_MAX, ...options });
/** The stretch a report confirms: from the position the manager last acknowledged + 1 through the new one. */
const stretchTimestamps = {
  first_timestamp: Type.Optional(
    ctTimestamp({
      description:
        'CT timestamp (ms since the epoch, from the MerkleTreeLeaf) of the first entry of the stretch this report confirms: the entry after the position the manager last acknowledged. With last_timestamp; both absent (an older worker): the time of the stretch is unknown.',
    }),
  ),
  last_timestamp: Type.Optional(
    ctTimestamp({ description: 'CT timestamp (ms since the epoch) of the last entry of that stretch (the new confirmed position). Not necessarily >= first_timestamp: logs order entries only within their merge delay.' }),
  ),
};

const errorFields = {
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String(),
  code: Type.Optional(Type.String()),
};

export const errorSchema = Type.Object(errorFields, { $id: 'ctjp.Error' });

export const directivesSchema = Type.Object({
  paused: Type.Boolean({ description: 'Stop scanning until a later ping says otherwise.' }),
  min_worker_version: nullableString({ description: 'Workers older than this must update before scanning.' }),
  ping_interval_s: Type.Integer({ description: 'How often to ping.' }),
  upload_max_items: Type.Integer(),
  contact: Type.Optional(
    nullableString({ description: "The collection operator's e-mail address or https URL, for workers to send to the CT logs in their User-Agent (a worker's own --contact wins)." }),
  ),
  slow_logs: Type.Array(Type.Object({ log_name: Type.String(), min_interval_ms: Type.Integer() })),
});

const workerIdentity = {
  worker_id: workerId(),
  friend_name: name(),
  version: version(),
};

export const registerRequestSchema = Type.Object(workerIdentity, { additionalProperties: false });

export const registerResponseSchema = Type.Object({
  worker_id: Type.String(),
  friend_name: Type.String(),
  state: Type.String(),
  directives: directivesSchema,
});

export const instructionsRequestSchema = Type.Object(
  {
    ...workerIdentity,
    categories: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: CATEGORY_MAX }), {
        maxItems: 16,
        uniqueItems: true,
        description: 'Categories wanted (default: all). Asking for a category ends the lease the worker still holds in it.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const assignmentSchema = Type.Object({
  lease_id: leaseId(),
  category: Type.String(),
  log_name: Type.String(),
  log_url: Type.String(),
  start: index({ description: 'First index to fetch (inclusive).' }),
  end: index({ description: 'Last index to fetch (inclusive).' }),
  page_size: nullableInteger({ description: 'Entries per get-entries answer, where known.' }),
  resumed: Type.Boolean({ description: 'A range left by a dead or stopped worker, resumed at its confirmed position + 1.' }),
  min_interval_ms: Type.Optional(nullableInteger()),
  log_key: Type.Optional(
    nullableString({ description: "The log's public key (base64 DER SubjectPublicKeyInfo) from the manager's catalogue, for verifying its tree heads; null when the catalogue has none." }),
  ),
  log_api: Type.Optional(
    logApi({
      description: "The log's read API. 'rfc6962': get-sth and get-entries under log_url. 'static-ct-api': log_url is the monitoring prefix (checkpoint, tiles, issuers). Absent (an older manager): 'rfc6962'.",
    }),
  ),
  log_origin: Type.Optional(
    nullableString({
      description:
        'For a static-ct-api log, the origin its checkpoints carry (its submission URL without scheme and trailing slash); null for an RFC 6962 log, or when the catalogue gives no submission URL. Absent: null.',
    }),
  ),
  data_tiles: Type.Optional(
    Type.Boolean({
      description:
        'An RFC 6962 log that also serves static-ct-api data tiles at <log_url>tile/data/N: the worker may read them instead of get-entries, proving them against get-sth and inclusion proofs. Absent: false.',
    }),
  ),
  read_from: Type.Optional(
    readFrom({
      description:
        "Where to read the entries: 'origin' (log_url, as log_api says), 'mirror' (read_url speaks the log's read API) or 'archive' (the zip files in archives, static-ct-api layout, read with HTTP Range requests). Uploads still name log_url. Absent: 'origin'.",
    }),
  ),
  read_url: Type.Optional(nullableString({ description: "The mirror's base URL (read_from 'mirror'), or the first archive zip." })),
  archives: Type.Optional(Type.Array(Type.String(), { maxItems: 1000, description: "The archive's zip URLs in tree order (read_from 'archive')." })),
  tree_head: Type.Optional(
    nullable(Type.Object({ tree_size: index(), root_hash: Type.String({ description: 'Base64 SHA-256 root.' }) }), {
      description:
        "A shut-down log's final tree head, as the manager verified it: the mirror or archive must serve exactly this one (signed with log_key), and entries are proven against it. Absent or null: the log's current tree head.",
    }),
  ),
});

export const instructionsResponseSchema = Type.Object({
  assignments: Type.Array(assignmentSchema),
  idle: Type.Boolean({
    description:
      'True when no work can appear any more: every target range is handed out, none waits to resume, and no log of the catalogue is still to be planned, growing into its window, or silent without being marked shut down.',
  }),
  directives: directivesSchema,
});

export const uploadItemSchema = Type.Object(
  {
    leaf_input: Type.String({ minLength: 4, maxLength: LEAF_INPUT_MAX_CHARS, description: 'Base64 MerkleTreeLeaf, exactly as the log served it.' }),
    ct_log_url: Type.String({ minLength: 1, maxLength: URL_MAX }),
    log_name: name(),
    friend_name: name(),
    index: index({ description: "The entry's position in the log." }),
    lease_id: leaseId({ description: 'The lease under which the entry was fetched; index must lie inside it.' }),
  },
  { additionalProperties: false },
);

export const uploadRequestSchema = Type.Array(uploadItemSchema, { minItems: 1, maxItems: UPLOAD_MAX_ITEMS });

export const uploadResponseSchema = Type.Object({
  received: counter(),
  new_sightings: counter(),
  new_certificates: counter(),
  duplicates: counter({ description: 'Items whose (log, index) was already stored.' }),
  unparsable: counter({ description: 'Leaves whose framing decoded but whose certificate could not be parsed (kept as sightings).' }),
});

export const leaseReportSchema = Type.Object(
  {
    lease_id: leaseId(),
    confirmed: position({ description: 'Highest index up to which every entry is scanned and every .jp entry uploaded or durably spooled.' }),
    collected: Type.Optional(counter({ description: '.jp entries found in this lease so far.' })),
    ...stretchTimestamps,
  },
  { additionalProperties: false },
);

export const pingRequestSchema = Type.Object(
  {
    worker_id: workerId(),
    version: version(),
    leases: Type.Array(leaseReportSchema, { maxItems: LEASES_PER_REPORT_MAX }),
    spool_backlog: Type.Optional(counter({ description: 'Upload items waiting in the local spool.' })),
    rate_limited: Type.Optional(counter({ description: 'HTTP 429 answers received from logs since the worker started.' })),
    collected: Type.Optional(counter({ description: '.jp entries found since the worker started.' })),
  },
  { additionalProperties: false },
);

export const pingResponseSchema = Type.Object({ ok: Type.Boolean(), directives: directivesSchema });

/** A report naming a lease the worker no longer holds (409 STALE_LEASE). */
export const staleLeaseErrorSchema = Type.Object({ ...errorFields, stale_leases: Type.Array(Type.Integer()) });

/** A termination naming another worker's lease (409 FOREIGN_LEASE): nothing was changed. */
export const foreignLeaseErrorSchema = Type.Object({ ...errorFields, foreign_leases: Type.Array(Type.Integer()) });

export const leaseVerificationSchema = Type.Object(
  {
    state: stringEnum(['verified', 'failed', 'unverified']),
    tree_size: Type.Optional(index({ description: 'The tree size the proofs were for.' })),
    signed: Type.Optional(Type.Boolean({ description: "The tree head carried the log key's signature." })),
    reason: Type.Optional(Type.String({ maxLength: VERIFICATION_REASON_MAX, description: 'Why it failed or could not be checked.' })),
    root_hash: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$', description: 'Base64 SHA-256 root hash of the tree head the proofs were for (verified only); audits compare it.' })),
  },
  { additionalProperties: false, description: "Whether the worker proved the lease's entries are in the log's signed tree (two inclusion proofs)." },
);

export const completeRequestSchema = Type.Object(
  { worker_id: workerId(), lease_id: leaseId(), verification: Type.Optional(leaseVerificationSchema), ...stretchTimestamps },
  { additionalProperties: false },
);

export const completeResponseSchema = Type.Object({ ok: Type.Boolean() });

export const terminateRequestSchema = Type.Object(
  {
    worker_id: workerId(),
    leases: Type.Array(leaseReportSchema, { maxItems: LEASES_PER_REPORT_MAX }),
    spool_backlog: Type.Optional(counter()),
  },
  { additionalProperties: false },
);

export const terminateResponseSchema = Type.Object({ released: counter({ description: 'Leases turned into resume-waiting ranges.' }) });

export const leaseStatusSchema = Type.Object({
  lease_id: leaseId(),
  log_name: Type.String(),
  category: Type.String(),
  start: index(),
  end: index(),
  confirmed: position(),
  state: Type.String(),
  rate: Type.Number({ description: 'Entries per second.' }),
});

const rateNow = (description = 'Entries per second confirmed (pings, completions, terminations) over the last rate_windows.now_s.') => Type.Number({ description });
const rateLastHour = (description = 'Entries per second confirmed over the last rate_windows.last_hour_s.') => Type.Number({ description });
const etaS = (description = 'Seconds until the remaining target entries are scanned at `rate`: 0 when done, null while nothing is confirmed.') => nullableInteger({ description });

/** A lease whose worker fell silent: the range waits until the reaper declares the worker dead. */
export const stalledLeaseSchema = Type.Object({
  lease_id: leaseId(),
  worker_id: Type.String(),
  friend_name: Type.String(),
  silent_s: Type.Integer({ description: 'Seconds since the worker last pinged.' }),
  dead_in_s: Type.Integer({ description: "Seconds until the worker's silence reaches dead-after (0: at the reaper's next pass); its range then resumes." }),
});

/** A log's audits and rescans (docs/manager-api.md, "Audits, rescans and quarantine"). */
export const logAuditSchema = Type.Object(
  {
    audited_entries: counter({ description: 'Entries scanned a second (or third) time by completed audit leases.' }),
    rescanned_entries: counter({ description: 'Entries scanned again by completed rescan leases (failed, unverified or flagged ranges).' }),
    twice_share: Type.Number({ description: '(audited_entries + rescanned_entries) / scanned: the share of entries scanned twice; 0 before anything is scanned.' }),
    pending_audits: counter({ description: 'Audits whose second scan is waiting or running.' }),
    waiting_for_friend: counter({ description: 'Second scans (audits, disputes, rescans) waiting that no alive worker may take: an audit needs a worker of another friend.' }),
    confirmed_audits: counter({ description: 'Audits whose two scans agreed.' }),
    disputes: counter({ description: 'Open disputes: the two scans disagreed and a third scan by a third friend is waiting or running.' }),
    disputes_settled: counter({ description: 'Disputes decided by the majority.' }),
    disputes_unresolved: counter({ description: 'Disputes where all three scans disagreed: nobody is flagged, the range stays unproven.' }),
    unproven_ranges: counter({ description: 'Ranges waiting for a verified scan by a worker in good standing (their scan failed, was unverified or came from a flagged worker).' }),
    unproven_entries: counter({ description: 'Entries in those ranges.' }),
    given_up: Type.Array(Type.Object({ start: index(), end: index(), reason: Type.String() }), {
      maxItems: 20,
      description: 'Ranges left unproven after too many second scans without a verified proof.',
    }),
    quarantined_certificates: counter({ description: 'Certificates first seen in this log that only unconfirmed sightings of flagged workers support.' }),
    quarantined_sightings: counter({ description: 'Sightings of this log a flagged worker reported first and no other scan confirmed.' }),
  },
  { description: 'Second scans of the log: audits, disputes, rescans, quarantine.' },
);

/** One disagreement that made a worker wrong: what it reported against what the majority did. */
export const flagEvidenceSchema = Type.Object({
  at: isoTime(),
  audit_id: leaseId(),
  log_name: Type.String(),
  start: index(),
  end: index({ description: 'Inclusive.' }),
  lease_id: leaseId({ description: "The wrong worker's lease." }),
  other_lease_ids: Type.Array(leaseId(), { description: 'The leases of the majority.' }),
  extra: Type.Array(index(), { description: 'Indexes it reported that the others did not, or with another leaf hash (at most 100).' }),
  extra_count: counter(),
  missing: Type.Array(index(), { description: 'Indexes the others reported that it did not, or with another leaf hash (at most 100).' }),
  missing_count: counter(),
  verdict: nullableString({ description: 'Its proof verdict.' }),
  other_verdicts: Type.Array(nullableString()),
  tree_heads: Type.Array(
    Type.Object({ lease_id: leaseId(), worker_id: Type.String(), friend_name: Type.String(), verification: nullableString(), tree_size: nullableInteger(), root_hash: nullableString() }),
  ),
  tree_head_conflict: Type.Boolean({ description: 'Two of the leases name the same tree size with different root hashes.' }),
});

/** Why a worker is refused work until an operator clears it. */
export const workerFlagSchema = Type.Object({
  at: isoTime(),
  reason: Type.String(),
  evidence: Type.Array(flagEvidenceSchema),
  quarantined_sightings: counter({ description: 'Its sightings in quarantine now.' }),
});

export const statusQuerySchema = Type.Object(
  {
    days: Type.Optional(Type.Integer({ minimum: 1, maximum: STATUS_DAYS_MAX, default: STATUS_DAYS_DEFAULT, description: 'Most recent days of per-log daily counts.' })),
  },
  { additionalProperties: false },
);

/** A category's logs summed: rates add up, the ETA is their remaining entries over their rate. */
export const categoryStatusSchema = Type.Object({
  category: Type.String(),
  target_entries: counter(),
  remaining_entries: counter({ description: 'Target entries not scanned yet, summed over the logs with a target.' }),
  rate: rateNow(),
  rate_last_hour: rateLastHour(),
  eta_s: etaS(),
});

export const logStatusSchema = Type.Object({
  name: Type.String(),
  category: Type.String(),
  url: Type.String({ description: 'The base the log is read from (for a static-ct-api log, its monitoring prefix).' }),
  api: logApi({ description: "The log's read API, from the catalogue." }),
  data_tiles: Type.Boolean({ description: 'An RFC 6962 log that also serves data tiles, which workers read instead of get-entries.' }),
  available: Type.Boolean(),
  shut_down: Type.Boolean({ description: 'The catalogue marks the log as shut down for good.' }),
  read_from: readFrom({ description: "Where the log is read from: its own url ('origin'), a mirror, or its zip archives." }),
  read_url: nullableString({ description: "The mirror's base URL, or the archive's first zip; null when read at the origin." }),
  last_error: nullableString(),
  checked_at: nullable(isoTime()),
  tree_size: nullableInteger(),
  target_start: index(),
  target_end: nullableInteger(),
  target_mode: nullableString(),
  target_note: nullableString(),
  handed_out_to: position({ description: 'Highest index handed out in a fresh range (target_start - 1 when none).' }),
  scanned: counter(),
  certificates: counter(),
  sightings: counter(),
  rate: rateNow(),
  rate_last_hour: rateLastHour(),
  eta_s: etaS('Seconds until the target is scanned at `rate`: 0 when done, null without a target or while nothing is confirmed.'),
  stalled_leases: Type.Array(stalledLeaseSchema, { description: 'Active leases whose worker has been silent for longer than the ping interval but is not declared dead yet.' }),
  resume_waiting: counter({ description: 'Ranges waiting for resumption (left by dead or stopped workers).' }),
  resume_waiting_entries: counter({ description: 'Entries in those ranges still to scan, from each resume point to its end.' }),
  verified: counter({ description: 'Entries in completed leases whose worker proved them to be in a signed tree head.' }),
  verification_failures: counter({ description: "Completed leases whose entries contradicted the log's inclusion proofs." }),
  audit: logAuditSchema,
});

export const workerStatusSchema = Type.Object({
  worker_id: Type.String(),
  friend_name: Type.String(),
  state: stringEnum(['alive', 'dead', 'stopped']),
  version: Type.String(),
  last_ping_at: isoTime(),
  collected: counter(),
  uploaded_items: counter(),
  spool_backlog: counter(),
  rate_limited: counter(),
  leases: Type.Array(leaseStatusSchema),
  flagged: nullable(workerFlagSchema, { description: 'null, or why an audit found the worker wrong: it gets no new leases until an operator clears it.' }),
});

export const statusResponseSchema = Type.Object({
  generated_at: isoTime(),
  planning: Type.Object({
    mode: stringEnum(['fraction', 'window']),
    fraction: Type.Number(),
    window: nullableString(),
    window_widened_hours: Type.Integer({ description: 'Window searches are widened by this much on each side (logs order entries only within the maximum merge delay).' }),
    assignment_size: Type.Integer(),
  }),
  totals: Type.Object({
    logs: counter(),
    logs_available: counter(),
    certificates: counter(),
    sightings: counter(),
    target_entries: counter(),
    scanned_entries: counter(),
    workers_alive: counter(),
    workers_dead: counter(),
    workers_stopped: counter(),
    quarantined_certificates: counter({ description: 'Certificates left out of `certificates` (and of export and analysis) until an operator clears their worker or another scan confirms them.' }),
    quarantined_sightings: counter({ description: 'Sightings left out of `sightings` likewise.' }),
    workers_flagged: counter({ description: 'Workers an audit found wrong, not cleared yet.' }),
    remaining_entries: counter({ description: 'Target entries not scanned yet, all logs with a target.' }),
    rate: rateNow('Entries per second confirmed over the last rate_windows.now_s, all logs (the sum of theirs).'),
    rate_last_hour: rateLastHour('Entries per second confirmed over the last rate_windows.last_hour_s, all logs.'),
    eta_s: etaS("Seconds until every log's target is scanned at `rate`: 0 when done, null while nothing is confirmed."),
  }),
  rate_windows: Type.Object(
    { now_s: Type.Integer(), last_hour_s: Type.Integer() },
    { description: 'The windows every `rate` (now) and `rate_last_hour` are measured over; shortened to the start of the earliest lease confirmed in them.' },
  ),
  categories: Type.Array(categoryStatusSchema),
  logs: Type.Array(logStatusSchema),
  daily: Type.Array(Type.Object({ log_name: Type.String(), day: Type.String({ format: 'date' }), sightings: counter(), certificates: counter() })),
  workers: Type.Array(workerStatusSchema),
});

export const replanResponseSchema = Type.Object({
  logs: Type.Array(Type.Object({ name: Type.String(), available: Type.Boolean(), target_end: nullableInteger(), note: nullableString() })),
});

export const replanRequestSchema = Type.Object({ force: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

export const directivesUpdateSchema = Type.Object(
  {
    paused: Type.Optional(Type.Boolean()),
    // Checked by the handler (422 naming the value) rather than by the pattern: a readable refusal.
    min_worker_version: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: VERSION_MAX, description: 'Semantic version, e.g. 1.2.0 or 1.2.0-rc.1' }), Type.Null()])),
    slow_logs: Type.Optional(
      Type.Array(
        Type.Object(
          { log_name: name(), min_interval_ms: Type.Union([Type.Integer({ minimum: 0, maximum: 3_600_000 }), Type.Null()]) },
          { additionalProperties: false },
        ),
        { maxItems: 256 },
      ),
    ),
  },
  { additionalProperties: false },
);

const isoSpan = Type.Object({ start: isoTime(), end: isoTime({ description: 'Exclusive.' }) });

/** One scanned stretch of a log, as `GET /api/v1/coverage` and the export's coverage file give it. */
export const coverageStretchSchema = Type.Object({
  start: index(),
  end: index({ description: 'Inclusive.' }),
  first_timestamp: nullable(isoTime(), { description: "CT timestamp of the stretch's first entry (the earliest reported by its parts); null when a part's was not reported." }),
  last_timestamp: nullable(isoTime(), { description: "CT timestamp of the stretch's last entry (the latest reported by its parts)." }),
  proven: Type.Boolean({ description: 'Every part proven against a signed tree head.' }),
});

export const logCoverageSchema = Type.Object({
  name: Type.String(),
  category: Type.String(),
  // Always sent; optional so that coverage files written before it existed still read.
  in_catalogue: Type.Optional(Type.Boolean({ description: 'Only logs of the catalogue count for the observed periods.' })),
  shut_down: Type.Boolean(),
  read_from: readFrom(),
  temporal_interval: nullable(Type.Object({ start_inclusive: isoTime(), end_exclusive: isoTime() }), { description: 'The log takes certificates expiring in this interval; null: any.' }),
  mmd_seconds: counter({ description: 'Maximum merge delay, the slack taken at each end of a stretch.' }),
  stretches: Type.Array(coverageStretchSchema, { description: 'Scanned index stretches, merged where they touch, in index order.' }),
  covered: Type.Array(isoSpan, { description: "The times the log covers: each stretch's [first + MMD, last − MMD], merged." }),
});

/** `GET /api/v1/coverage`, and `<export>.coverage.json`: what ctjp has looked at. */
export const coverageResponseSchema = Type.Object({
  generated_at: isoTime(),
  logs: Type.Array(logCoverageSchema, { description: 'Every log the manager knows, in or out of the catalogue; a log never scanned has no stretches.' }),
  observed_periods: Type.Array(isoSpan, {
    description: 'The times in which at least one log of the catalogue could hold a certificate issued then and every such log covers that time.',
  }),
});

export const clearWorkerParamsSchema = Type.Object({ worker_id: workerId() });

/** The body is optional: a POST without one clears and releases. */
export const clearWorkerRequestSchema = nullable(
  Type.Object(
    {
      delete: Type.Optional(
        Type.Boolean({ description: 'true: delete its quarantined sightings, and the certificates only they support, instead of releasing them. Default false.' }),
      ),
    },
    { additionalProperties: false },
  ),
);

export const clearWorkerResponseSchema = Type.Object({
  worker_id: Type.String(),
  friend_name: Type.String(),
  was_flagged: Type.Boolean({ description: 'Clearing a worker in good standing changes nothing.' }),
  released_sightings: counter({ description: 'Quarantined sightings counted again.' }),
  released_certificates: counter({ description: 'Quarantined certificates counted again.' }),
  deleted_sightings: counter(),
  deleted_certificates: counter(),
});
