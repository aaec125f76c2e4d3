/**
 * JSON Schemas of every manager API request and response. The manager
 * validates with them (fastify/ajv) and publishes them in its OpenAPI
 * document; the worker builds its requests to match. The TypeScript types
 * beside them live in types.ts and must say the same thing.
 */
import { CATEGORY_MAX, CT_TIMESTAMP_MAX, CT_TIMESTAMP_MIN, INDEX_MAX, LEAF_INPUT_MAX_CHARS, LEASES_PER_REPORT_MAX, NAME_MAX, UPLOAD_MAX_ITEMS, URL_MAX, VERIFICATION_REASON_MAX, VERSION_MAX } from './limits.js';
import { SEMVER_PATTERN } from '../version.js';

const name = { type: 'string', minLength: 1, maxLength: NAME_MAX, pattern: '^[^\\u0000-\\u001f\\u007f]+$' } as const;
const workerId = { type: 'string', minLength: 1, maxLength: NAME_MAX, pattern: '^[A-Za-z0-9._:-]+$' } as const;
/** The version a worker reports: semantic (src/share/version.ts), so that it compares with the minimum. */
const version = { type: 'string', minLength: 1, maxLength: VERSION_MAX, pattern: SEMVER_PATTERN, description: 'Semantic version, e.g. 1.2.0 or 1.2.0-rc.1' } as const;
const index = { type: 'integer', minimum: 0, maximum: INDEX_MAX } as const;
/** A confirmed position may be start - 1 (nothing confirmed yet), so -1 is allowed. */
const position = { type: 'integer', minimum: -1, maximum: INDEX_MAX } as const;
const counter = { type: 'integer', minimum: 0, maximum: INDEX_MAX } as const;
const leaseId = { type: 'integer', minimum: 1, maximum: INDEX_MAX } as const;
const isoTime = { type: 'string', format: 'date-time' } as const;
const nullableString = { type: ['string', 'null'] } as const;
const nullableInteger = { type: ['integer', 'null'] } as const;
const logApi = { type: 'string', enum: ['rfc6962', 'static-ct-api'] } as const;
const readFrom = { type: 'string', enum: ['origin', 'mirror', 'archive'] } as const;
const ctTimestamp = { type: 'integer', minimum: CT_TIMESTAMP_MIN, maximum: CT_TIMESTAMP_MAX } as const;
/** The stretch a report confirms: from the position the manager last acknowledged + 1 through the new one. */
const stretchTimestamps = {
  first_timestamp: {
    ...ctTimestamp,
    description:
      'CT timestamp (ms since the epoch, from the MerkleTreeLeaf) of the first entry of the stretch this report confirms: the entry after the position the manager last acknowledged. With last_timestamp; both absent (an older worker): the time of the stretch is unknown.',
  },
  last_timestamp: { ...ctTimestamp, description: 'CT timestamp (ms since the epoch) of the last entry of that stretch (the new confirmed position). Not necessarily >= first_timestamp: logs order entries only within their merge delay.' },
} as const;

export const errorSchema = {
  $id: 'ctjp.Error',
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    message: { type: 'string' },
    code: { type: 'string' },
  },
} as const;

export const directivesSchema = {
  type: 'object',
  required: ['paused', 'min_worker_version', 'ping_interval_s', 'slow_logs', 'upload_max_items'],
  properties: {
    paused: { type: 'boolean', description: 'Stop scanning until a later ping says otherwise.' },
    min_worker_version: { ...nullableString, description: 'Workers older than this must update before scanning.' },
    ping_interval_s: { type: 'integer', description: 'How often to ping.' },
    upload_max_items: { type: 'integer' },
    contact: {
      ...nullableString,
      description: "The collection operator's e-mail address or https URL, for workers to send to the CT logs in their User-Agent (a worker's own --contact wins).",
    },
    slow_logs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['log_name', 'min_interval_ms'],
        properties: { log_name: { type: 'string' }, min_interval_ms: { type: 'integer' } },
      },
    },
  },
} as const;

const workerIdentity = {
  worker_id: workerId,
  friend_name: name,
  version,
} as const;

export const registerRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['worker_id', 'friend_name', 'version'],
  properties: workerIdentity,
} as const;

export const registerResponseSchema = {
  type: 'object',
  required: ['worker_id', 'friend_name', 'state', 'directives'],
  properties: {
    worker_id: { type: 'string' },
    friend_name: { type: 'string' },
    state: { type: 'string' },
    directives: directivesSchema,
  },
} as const;

export const instructionsRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['worker_id', 'friend_name', 'version'],
  properties: {
    ...workerIdentity,
    categories: {
      type: 'array',
      maxItems: 16,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: CATEGORY_MAX },
      description: 'Categories wanted (default: all). Asking for a category ends the lease the worker still holds in it.',
    },
  },
} as const;

export const assignmentSchema = {
  type: 'object',
  required: ['lease_id', 'category', 'log_name', 'log_url', 'start', 'end', 'page_size', 'resumed'],
  properties: {
    lease_id: leaseId,
    category: { type: 'string' },
    log_name: { type: 'string' },
    log_url: { type: 'string' },
    start: { ...index, description: 'First index to fetch (inclusive).' },
    end: { ...index, description: 'Last index to fetch (inclusive).' },
    page_size: { ...nullableInteger, description: 'Entries per get-entries answer, where known.' },
    resumed: { type: 'boolean', description: 'A range left by a dead or stopped worker, resumed at its confirmed position + 1.' },
    min_interval_ms: nullableInteger,
    log_key: {
      type: ['string', 'null'],
      description: "The log's public key (base64 DER SubjectPublicKeyInfo) from the manager's catalogue, for verifying its tree heads; null when the catalogue has none.",
    },
    log_api: {
      ...logApi,
      description: "The log's read API. 'rfc6962': get-sth and get-entries under log_url. 'static-ct-api': log_url is the monitoring prefix (checkpoint, tiles, issuers). Absent (an older manager): 'rfc6962'.",
    },
    log_origin: {
      type: ['string', 'null'],
      description: 'For a static-ct-api log, the origin its checkpoints carry (its submission URL without scheme and trailing slash); null for an RFC 6962 log, or when the catalogue gives no submission URL. Absent: null.',
    },
    data_tiles: {
      type: 'boolean',
      description: 'An RFC 6962 log that also serves static-ct-api data tiles at <log_url>tile/data/N: the worker may read them instead of get-entries, proving them against get-sth and inclusion proofs. Absent: false.',
    },
    read_from: {
      ...readFrom,
      description:
        "Where to read the entries: 'origin' (log_url, as log_api says), 'mirror' (read_url speaks the log's read API) or 'archive' (the zip files in archives, static-ct-api layout, read with HTTP Range requests). Uploads still name log_url. Absent: 'origin'.",
    },
    read_url: { type: ['string', 'null'], description: "The mirror's base URL (read_from 'mirror'), or the first archive zip." },
    archives: { type: 'array', maxItems: 1000, items: { type: 'string' }, description: "The archive's zip URLs in tree order (read_from 'archive')." },
    tree_head: {
      type: ['object', 'null'],
      required: ['tree_size', 'root_hash'],
      properties: { tree_size: index, root_hash: { type: 'string', description: 'Base64 SHA-256 root.' } },
      description: "A shut-down log's final tree head, as the manager verified it: the mirror or archive must serve exactly this one (signed with log_key), and entries are proven against it. Absent or null: the log's current tree head.",
    },
  },
} as const;

export const instructionsResponseSchema = {
  type: 'object',
  required: ['assignments', 'directives', 'idle'],
  properties: {
    assignments: { type: 'array', items: assignmentSchema },
    idle: {
      type: 'boolean',
      description:
        'True when no work can appear any more: every target range is handed out, none waits to resume, and no log of the catalogue is still to be planned, growing into its window, or silent without being marked shut down.',
    },
    directives: directivesSchema,
  },
} as const;

export const uploadItemSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['leaf_input', 'ct_log_url', 'log_name', 'friend_name', 'index', 'lease_id'],
  properties: {
    leaf_input: { type: 'string', minLength: 4, maxLength: LEAF_INPUT_MAX_CHARS, description: 'Base64 MerkleTreeLeaf, exactly as the log served it.' },
    ct_log_url: { type: 'string', minLength: 1, maxLength: URL_MAX },
    log_name: name,
    friend_name: name,
    index: { ...index, description: "The entry's position in the log." },
    lease_id: { ...leaseId, description: 'The lease under which the entry was fetched; index must lie inside it.' },
  },
} as const;

export const uploadRequestSchema = {
  type: 'array',
  minItems: 1,
  maxItems: UPLOAD_MAX_ITEMS,
  items: uploadItemSchema,
} as const;

export const uploadResponseSchema = {
  type: 'object',
  required: ['received', 'new_sightings', 'new_certificates', 'duplicates', 'unparsable'],
  properties: {
    received: counter,
    new_sightings: counter,
    new_certificates: counter,
    duplicates: { ...counter, description: 'Items whose (log, index) was already stored.' },
    unparsable: { ...counter, description: 'Leaves whose framing decoded but whose certificate could not be parsed (kept as sightings).' },
  },
} as const;

export const leaseReportSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['lease_id', 'confirmed'],
  properties: {
    lease_id: leaseId,
    confirmed: { ...position, description: 'Highest index up to which every entry is scanned and every .jp entry uploaded or durably spooled.' },
    collected: { ...counter, description: '.jp entries found in this lease so far.' },
    ...stretchTimestamps,
  },
} as const;

export const pingRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['worker_id', 'version', 'leases'],
  properties: {
    worker_id: workerId,
    version,
    leases: { type: 'array', maxItems: LEASES_PER_REPORT_MAX, items: leaseReportSchema },
    spool_backlog: { ...counter, description: 'Upload items waiting in the local spool.' },
    rate_limited: { ...counter, description: 'HTTP 429 answers received from logs since the worker started.' },
    collected: { ...counter, description: '.jp entries found since the worker started.' },
  },
} as const;

export const pingResponseSchema = {
  type: 'object',
  required: ['ok', 'directives'],
  properties: { ok: { type: 'boolean' }, directives: directivesSchema },
} as const;

export const staleLeaseErrorSchema = {
  type: 'object',
  required: ['statusCode', 'error', 'message', 'stale_leases'],
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    message: { type: 'string' },
    code: { type: 'string' },
    stale_leases: { type: 'array', items: { type: 'integer' } },
  },
} as const;

/** A termination naming another worker's lease (409 FOREIGN_LEASE): nothing was changed. */
export const foreignLeaseErrorSchema = {
  type: 'object',
  required: ['statusCode', 'error', 'message', 'foreign_leases'],
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    message: { type: 'string' },
    code: { type: 'string' },
    foreign_leases: { type: 'array', items: { type: 'integer' } },
  },
} as const;

export const leaseVerificationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['state'],
  description: "Whether the worker proved the lease's entries are in the log's signed tree (two inclusion proofs).",
  properties: {
    state: { type: 'string', enum: ['verified', 'failed', 'unverified'] },
    tree_size: { ...index, description: 'The tree size the proofs were for.' },
    signed: { type: 'boolean', description: "The tree head carried the log key's signature." },
    reason: { type: 'string', maxLength: VERIFICATION_REASON_MAX, description: 'Why it failed or could not be checked.' },
    root_hash: { type: 'string', pattern: '^[A-Za-z0-9+/]{43}=$', description: 'Base64 SHA-256 root hash of the tree head the proofs were for (verified only); audits compare it.' },
  },
} as const;

export const completeRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['worker_id', 'lease_id'],
  properties: { worker_id: workerId, lease_id: leaseId, verification: leaseVerificationSchema, ...stretchTimestamps },
} as const;

export const completeResponseSchema = {
  type: 'object',
  required: ['ok'],
  properties: { ok: { type: 'boolean' } },
} as const;

export const terminateRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['worker_id', 'leases'],
  properties: {
    worker_id: workerId,
    leases: { type: 'array', maxItems: LEASES_PER_REPORT_MAX, items: leaseReportSchema },
    spool_backlog: counter,
  },
} as const;

export const terminateResponseSchema = {
  type: 'object',
  required: ['released'],
  properties: { released: { ...counter, description: 'Leases turned into resume-waiting ranges.' } },
} as const;

const leaseStatusSchema = {
  type: 'object',
  required: ['lease_id', 'log_name', 'category', 'start', 'end', 'confirmed', 'state', 'rate'],
  properties: {
    lease_id: leaseId,
    log_name: { type: 'string' },
    category: { type: 'string' },
    start: index,
    end: index,
    confirmed: position,
    state: { type: 'string' },
    rate: { type: 'number', description: 'Entries per second.' },
  },
} as const;

const rateNow = { type: 'number', description: 'Entries per second confirmed (pings, completions, terminations) over the last rate_windows.now_s.' } as const;
const rateLastHour = { type: 'number', description: 'Entries per second confirmed over the last rate_windows.last_hour_s.' } as const;
const etaS = { type: ['integer', 'null'], description: 'Seconds until the remaining target entries are scanned at `rate`: 0 when done, null while nothing is confirmed.' } as const;

/** A lease whose worker fell silent: the range waits until the reaper declares the worker dead. */
const stalledLeaseSchema = {
  type: 'object',
  required: ['lease_id', 'worker_id', 'friend_name', 'silent_s', 'dead_in_s'],
  properties: {
    lease_id: leaseId,
    worker_id: { type: 'string' },
    friend_name: { type: 'string' },
    silent_s: { type: 'integer', description: 'Seconds since the worker last pinged.' },
    dead_in_s: { type: 'integer', description: "Seconds until the worker's silence reaches dead-after (0: at the reaper's next pass); its range then resumes." },
  },
} as const;

const logAuditSchema = {
  type: 'object',
  description: 'Second scans of the log: audits, disputes, rescans, quarantine.',
  required: [
    'audited_entries', 'rescanned_entries', 'twice_share', 'pending_audits', 'waiting_for_friend', 'confirmed_audits', 'disputes', 'disputes_settled', 'disputes_unresolved',
    'unproven_ranges', 'unproven_entries', 'given_up', 'quarantined_certificates', 'quarantined_sightings',
  ],
  properties: {
    audited_entries: { ...counter, description: 'Entries scanned a second (or third) time by completed audit leases.' },
    rescanned_entries: { ...counter, description: 'Entries scanned again by completed rescan leases (failed, unverified or flagged ranges).' },
    twice_share: { type: 'number', description: '(audited_entries + rescanned_entries) / scanned: the share of entries scanned twice; 0 before anything is scanned.' },
    pending_audits: { ...counter, description: 'Audits whose second scan is waiting or running.' },
    waiting_for_friend: { ...counter, description: 'Second scans (audits, disputes, rescans) waiting that no alive worker may take: an audit needs a worker of another friend.' },
    confirmed_audits: { ...counter, description: 'Audits whose two scans agreed.' },
    disputes: { ...counter, description: 'Open disputes: the two scans disagreed and a third scan by a third friend is waiting or running.' },
    disputes_settled: { ...counter, description: 'Disputes decided by the majority.' },
    disputes_unresolved: { ...counter, description: 'Disputes where all three scans disagreed: nobody is flagged, the range stays unproven.' },
    unproven_ranges: { ...counter, description: 'Ranges waiting for a verified scan by a worker in good standing (their scan failed, was unverified or came from a flagged worker).' },
    unproven_entries: { ...counter, description: 'Entries in those ranges.' },
    given_up: {
      type: 'array',
      maxItems: 20,
      description: 'Ranges left unproven after too many second scans without a verified proof.',
      items: { type: 'object', required: ['start', 'end', 'reason'], properties: { start: index, end: index, reason: { type: 'string' } } },
    },
    quarantined_certificates: { ...counter, description: 'Certificates first seen in this log that only unconfirmed sightings of flagged workers support.' },
    quarantined_sightings: { ...counter, description: 'Sightings of this log a flagged worker reported first and no other scan confirmed.' },
  },
} as const;

const flagEvidenceSchema = {
  type: 'object',
  required: ['at', 'audit_id', 'log_name', 'start', 'end', 'lease_id', 'other_lease_ids', 'extra', 'extra_count', 'missing', 'missing_count', 'verdict', 'other_verdicts', 'tree_heads', 'tree_head_conflict'],
  properties: {
    at: isoTime,
    audit_id: leaseId,
    log_name: { type: 'string' },
    start: index,
    end: { ...index, description: 'Inclusive.' },
    lease_id: { ...leaseId, description: "The wrong worker's lease." },
    other_lease_ids: { type: 'array', items: leaseId, description: 'The leases of the majority.' },
    extra: { type: 'array', items: index, description: 'Indexes it reported that the others did not, or with another leaf hash (at most 100).' },
    extra_count: counter,
    missing: { type: 'array', items: index, description: 'Indexes the others reported that it did not, or with another leaf hash (at most 100).' },
    missing_count: counter,
    verdict: { ...nullableString, description: 'Its proof verdict.' },
    other_verdicts: { type: 'array', items: nullableString },
    tree_heads: {
      type: 'array',
      items: {
        type: 'object',
        required: ['lease_id', 'worker_id', 'friend_name', 'verification', 'tree_size', 'root_hash'],
        properties: { lease_id: leaseId, worker_id: { type: 'string' }, friend_name: { type: 'string' }, verification: nullableString, tree_size: nullableInteger, root_hash: nullableString },
      },
    },
    tree_head_conflict: { type: 'boolean', description: 'Two of the leases name the same tree size with different root hashes.' },
  },
} as const;

const workerFlagSchema = {
  type: ['object', 'null'],
  required: ['at', 'reason', 'evidence', 'quarantined_sightings'],
  description: 'null, or why an audit found the worker wrong: it gets no new leases until an operator clears it.',
  properties: {
    at: isoTime,
    reason: { type: 'string' },
    evidence: { type: 'array', items: flagEvidenceSchema },
    quarantined_sightings: { ...counter, description: 'Its sightings in quarantine now.' },
  },
} as const;

export const statusQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    days: { type: 'integer', minimum: 1, maximum: 3660, default: 62, description: 'Most recent days of per-log daily counts.' },
  },
} as const;

export const statusResponseSchema = {
  type: 'object',
  required: ['generated_at', 'planning', 'totals', 'rate_windows', 'categories', 'logs', 'daily', 'workers'],
  properties: {
    generated_at: isoTime,
    planning: {
      type: 'object',
      required: ['mode', 'fraction', 'window', 'window_widened_hours', 'assignment_size'],
      properties: {
        mode: { type: 'string', enum: ['fraction', 'window'] },
        fraction: { type: 'number' },
        window: nullableString,
        window_widened_hours: { type: 'integer', description: 'Window searches are widened by this much on each side (logs order entries only within the maximum merge delay).' },
        assignment_size: { type: 'integer' },
      },
    },
    totals: {
      type: 'object',
      required: [
        'logs', 'logs_available', 'certificates', 'sightings', 'target_entries', 'scanned_entries', 'workers_alive', 'workers_dead', 'workers_stopped',
        'quarantined_certificates', 'quarantined_sightings', 'workers_flagged', 'remaining_entries', 'rate', 'rate_last_hour', 'eta_s',
      ],
      properties: {
        logs: counter,
        logs_available: counter,
        certificates: counter,
        sightings: counter,
        target_entries: counter,
        scanned_entries: counter,
        workers_alive: counter,
        workers_dead: counter,
        workers_stopped: counter,
        quarantined_certificates: { ...counter, description: 'Certificates left out of `certificates` (and of export and analysis) until an operator clears their worker or another scan confirms them.' },
        quarantined_sightings: { ...counter, description: 'Sightings left out of `sightings` likewise.' },
        workers_flagged: { ...counter, description: 'Workers an audit found wrong, not cleared yet.' },
        remaining_entries: { ...counter, description: 'Target entries not scanned yet, all logs with a target.' },
        rate: { ...rateNow, description: 'Entries per second confirmed over the last rate_windows.now_s, all logs (the sum of theirs).' },
        rate_last_hour: { ...rateLastHour, description: 'Entries per second confirmed over the last rate_windows.last_hour_s, all logs.' },
        eta_s: { ...etaS, description: "Seconds until every log's target is scanned at `rate`: 0 when done, null while nothing is confirmed." },
      },
    },
    rate_windows: {
      type: 'object',
      required: ['now_s', 'last_hour_s'],
      description: 'The windows every `rate` (now) and `rate_last_hour` are measured over; shortened to the start of the earliest lease confirmed in them.',
      properties: { now_s: { type: 'integer' }, last_hour_s: { type: 'integer' } },
    },
    categories: {
      type: 'array',
      items: {
        type: 'object',
        required: ['category', 'target_entries', 'remaining_entries', 'rate', 'rate_last_hour', 'eta_s'],
        properties: {
          category: { type: 'string' },
          target_entries: counter,
          remaining_entries: { ...counter, description: 'Target entries not scanned yet, summed over the logs with a target.' },
          rate: rateNow,
          rate_last_hour: rateLastHour,
          eta_s: etaS,
        },
      },
    },
    logs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'category', 'url', 'api', 'data_tiles', 'available', 'shut_down', 'read_from', 'read_url', 'last_error', 'checked_at', 'tree_size', 'target_start', 'target_end', 'target_mode', 'target_note', 'handed_out_to', 'scanned', 'certificates', 'sightings', 'rate', 'rate_last_hour', 'eta_s', 'stalled_leases', 'resume_waiting', 'resume_waiting_entries', 'verified', 'verification_failures', 'audit'],
        properties: {
          name: { type: 'string' },
          category: { type: 'string' },
          url: { type: 'string', description: 'The base the log is read from (for a static-ct-api log, its monitoring prefix).' },
          api: { ...logApi, description: "The log's read API, from the catalogue." },
          data_tiles: { type: 'boolean', description: 'An RFC 6962 log that also serves data tiles, which workers read instead of get-entries.' },
          available: { type: 'boolean' },
          shut_down: { type: 'boolean', description: 'The catalogue marks the log as shut down for good.' },
          read_from: { ...readFrom, description: "Where the log is read from: its own url ('origin'), a mirror, or its zip archives." },
          read_url: { ...nullableString, description: "The mirror's base URL, or the archive's first zip; null when read at the origin." },
          last_error: nullableString,
          checked_at: { type: ['string', 'null'], format: 'date-time' },
          tree_size: nullableInteger,
          target_start: index,
          target_end: nullableInteger,
          target_mode: nullableString,
          target_note: nullableString,
          handed_out_to: { ...position, description: 'Highest index handed out in a fresh range (target_start - 1 when none).' },
          scanned: counter,
          certificates: counter,
          sightings: counter,
          rate: rateNow,
          rate_last_hour: rateLastHour,
          eta_s: { ...etaS, description: 'Seconds until the target is scanned at `rate`: 0 when done, null without a target or while nothing is confirmed.' },
          stalled_leases: { type: 'array', items: stalledLeaseSchema, description: 'Active leases whose worker has been silent for longer than the ping interval but is not declared dead yet.' },
          resume_waiting: { ...counter, description: 'Ranges waiting for resumption (left by dead or stopped workers).' },
          resume_waiting_entries: { ...counter, description: 'Entries in those ranges still to scan, from each resume point to its end.' },
          verified: { ...counter, description: 'Entries in completed leases whose worker proved them to be in a signed tree head.' },
          verification_failures: { ...counter, description: "Completed leases whose entries contradicted the log's inclusion proofs." },
          audit: logAuditSchema,
        },
      },
    },
    daily: {
      type: 'array',
      items: {
        type: 'object',
        required: ['log_name', 'day', 'sightings', 'certificates'],
        properties: { log_name: { type: 'string' }, day: { type: 'string', format: 'date' }, sightings: counter, certificates: counter },
      },
    },
    workers: {
      type: 'array',
      items: {
        type: 'object',
        required: ['worker_id', 'friend_name', 'state', 'version', 'last_ping_at', 'collected', 'uploaded_items', 'spool_backlog', 'rate_limited', 'leases', 'flagged'],
        properties: {
          worker_id: { type: 'string' },
          friend_name: { type: 'string' },
          state: { type: 'string', enum: ['alive', 'dead', 'stopped'] },
          version: { type: 'string' },
          last_ping_at: isoTime,
          collected: counter,
          uploaded_items: counter,
          spool_backlog: counter,
          rate_limited: counter,
          leases: { type: 'array', items: leaseStatusSchema },
          flagged: workerFlagSchema,
        },
      },
    },
  },
} as const;

export const replanResponseSchema = {
  type: 'object',
  required: ['logs'],
  properties: {
    logs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'available', 'target_end', 'note'],
        properties: { name: { type: 'string' }, available: { type: 'boolean' }, target_end: nullableInteger, note: nullableString },
      },
    },
  },
} as const;

export const directivesUpdateSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    paused: { type: 'boolean' },
    // Checked by the handler (422 naming the value) rather than by the pattern: a readable refusal.
    min_worker_version: { anyOf: [{ type: 'string', minLength: 1, maxLength: VERSION_MAX, description: 'Semantic version, e.g. 1.2.0 or 1.2.0-rc.1' }, { type: 'null' }] },
    slow_logs: {
      type: 'array',
      maxItems: 256,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['log_name', 'min_interval_ms'],
        properties: { log_name: name, min_interval_ms: { anyOf: [{ type: 'integer', minimum: 0, maximum: 3_600_000 }, { type: 'null' }] } },
      },
    },
  },
} as const;

const isoSpan = {
  type: 'object',
  required: ['start', 'end'],
  properties: { start: isoTime, end: { ...isoTime, description: 'Exclusive.' } },
} as const;

export const coverageResponseSchema = {
  type: 'object',
  required: ['generated_at', 'logs', 'observed_periods'],
  properties: {
    generated_at: isoTime,
    logs: {
      type: 'array',
      description: 'Every log the manager knows, in or out of the catalogue; a log never scanned has no stretches.',
      items: {
        type: 'object',
        required: ['name', 'category', 'in_catalogue', 'shut_down', 'read_from', 'temporal_interval', 'mmd_seconds', 'stretches', 'covered'],
        properties: {
          name: { type: 'string' },
          category: { type: 'string' },
          in_catalogue: { type: 'boolean', description: 'Only logs of the catalogue count for the observed periods.' },
          shut_down: { type: 'boolean' },
          read_from: readFrom,
          temporal_interval: {
            type: ['object', 'null'],
            required: ['start_inclusive', 'end_exclusive'],
            properties: { start_inclusive: isoTime, end_exclusive: isoTime },
            description: 'The log takes certificates expiring in this interval; null: any.',
          },
          mmd_seconds: { ...counter, description: 'Maximum merge delay, the slack taken at each end of a stretch.' },
          stretches: {
            type: 'array',
            description: 'Scanned index stretches, merged where they touch, in index order.',
            items: {
              type: 'object',
              required: ['start', 'end', 'first_timestamp', 'last_timestamp', 'proven'],
              properties: {
                start: index,
                end: { ...index, description: 'Inclusive.' },
                first_timestamp: { type: ['string', 'null'], format: 'date-time', description: "CT timestamp of the stretch's first entry (the earliest reported by its parts); null when a part's was not reported." },
                last_timestamp: { type: ['string', 'null'], format: 'date-time', description: "CT timestamp of the stretch's last entry (the latest reported by its parts)." },
                proven: { type: 'boolean', description: 'Every part proven against a signed tree head.' },
              },
            },
          },
          covered: { type: 'array', items: isoSpan, description: "The times the log covers: each stretch's [first + MMD, last − MMD], merged." },
        },
      },
    },
    observed_periods: {
      type: 'array',
      items: isoSpan,
      description: 'The times in which at least one log of the catalogue could hold a certificate issued then and every such log covers that time.',
    },
  },
} as const;

export const clearWorkerParamsSchema = {
  type: 'object',
  required: ['worker_id'],
  properties: { worker_id: workerId },
} as const;

/** The body is optional: a POST without one clears and releases. */
export const clearWorkerRequestSchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    delete: { type: 'boolean', description: 'true: delete its quarantined sightings, and the certificates only they support, instead of releasing them. Default false.' },
  },
} as const;

export const clearWorkerResponseSchema = {
  type: 'object',
  required: ['worker_id', 'friend_name', 'was_flagged', 'released_sightings', 'released_certificates', 'deleted_sightings', 'deleted_certificates'],
  properties: {
    worker_id: { type: 'string' },
    friend_name: { type: 'string' },
    was_flagged: { type: 'boolean', description: 'Clearing a worker in good standing changes nothing.' },
    released_sightings: { ...counter, description: 'Quarantined sightings counted again.' },
    released_certificates: { ...counter, description: 'Quarantined certificates counted again.' },
    deleted_sightings: counter,
    deleted_certificates: counter,
  },
} as const;
