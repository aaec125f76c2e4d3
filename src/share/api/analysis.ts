/**
 * JSON Schemas and TypeScript types of the analysis endpoints: certificates covering a domain with
 * phishing-detector features, and the cached renewal-analysis summary (docs/analysis.md defines
 * every figure). Like schemas.ts and types.ts, the schema and the type beside it say the same thing.
 */

export const DOMAIN_NAME_MAX = 253;
export const DOMAIN_CERTIFICATES_LIMIT_MAX = 1000;
export const DOMAIN_CERTIFICATES_LIMIT_DEFAULT = 100;
export const SUMMARY_LINEAGES_LIMIT_MAX = 1000;
export const SUMMARY_LINEAGES_LIMIT_DEFAULT = 100;

const share = { type: ['number', 'null'] } as const;
const count = { type: 'integer', minimum: 0 } as const;
const nullableString = { type: ['string', 'null'] } as const;

// ---------------------------------------------------------------- domains

export const domainCertificatesParamsSchema = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: DOMAIN_NAME_MAX + 1, description: 'A DNS name (`www.example.jp`), case-insensitive, trailing dot allowed.' } },
} as const;

export const domainCertificatesQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'string', pattern: '^[0-9]{1,4}$', description: `Most certificates returned, newest first (1..${DOMAIN_CERTIFICATES_LIMIT_MAX}, default ${DOMAIN_CERTIFICATES_LIMIT_DEFAULT}).` },
    include_subdomains: {
      type: 'string',
      enum: ['0', '1'],
      description: '`1`: also certificates for names under the domain (`match: "subdomain"`). Refused for a public suffix (`co.jp`) and for a wildcard name.',
    },
  },
} as const;

const featuresSchema = {
  type: 'object',
  required: ['has_crl_distribution_point', 'ov_or_ev', 'wildcard', 'validity_over_180_days', 'san_count_10_or_more', 'free_acme_ca', 'no_subject_organisation'],
  properties: {
    has_crl_distribution_point: { type: 'boolean' },
    ov_or_ev: { type: 'boolean', description: 'Validation level OV or EV.' },
    wildcard: { type: 'boolean', description: 'A SAN dNSName starts with `*.`.' },
    validity_over_180_days: { type: 'boolean' },
    san_count_10_or_more: { type: 'boolean' },
    free_acme_ca: { type: 'boolean', description: "Let's Encrypt, Google Trust Services, ZeroSSL or Buypass." },
    no_subject_organisation: { type: 'boolean', description: 'The subject DN has no O attribute.' },
  },
} as const;

export const domainCertificateSchema = {
  type: 'object',
  required: ['id', 'match', 'serial_hex', 'issuer_dn', 'ca', 'subject_dn', 'common_name', 'san_dns', 'not_before', 'not_after', 'validity_days', 'validation_level', 'cert_sha256', 'first_seen', 'features'],
  properties: {
    id: { type: 'string', description: 'The manager’s certificate row id.' },
    match: {
      type: 'string',
      enum: ['exact', 'wildcard', 'subdomain'],
      description: '`exact`: the certificate names the domain (SAN, or a CN that is a DNS name); `wildcard`: it names `*.<parent>`, which covers the domain; `subdomain` (with include_subdomains=1): it names something under the domain.',
    },
    serial_hex: { type: 'string' },
    issuer_dn: { type: 'string' },
    ca: { ...nullableString, description: 'Issuer organisation.' },
    subject_dn: { type: 'string' },
    common_name: nullableString,
    san_dns: { type: 'array', items: { type: 'string' } },
    not_before: { type: 'string', format: 'date-time' },
    not_after: { type: 'string', format: 'date-time' },
    validity_days: { type: 'number' },
    validation_level: { type: 'string' },
    cert_sha256: { ...nullableString, description: 'SHA-256 of the final certificate; null while only the precertificate was seen.' },
    first_seen: { ...nullableString, description: 'Earliest CT timestamp of any sighting.' },
    features: featuresSchema,
  },
} as const;

export const domainCertificatesResponseSchema = {
  type: 'object',
  required: ['name', 'wildcard_parent', 'include_subdomains', 'count', 'certificates'],
  properties: {
    name: { type: 'string', description: 'The name asked for, normalised (A-labels, lower case, no trailing dot).' },
    wildcard_parent: { ...nullableString, description: 'The wildcard name that would cover it (`*.example.jp`), when there is one.' },
    include_subdomains: { type: 'boolean' },
    count: count,
    certificates: { type: 'array', items: domainCertificateSchema },
  },
} as const;

export interface DomainCertificateFeatures {
  has_crl_distribution_point: boolean;
  ov_or_ev: boolean;
  wildcard: boolean;
  validity_over_180_days: boolean;
  san_count_10_or_more: boolean;
  free_acme_ca: boolean;
  no_subject_organisation: boolean;
}

/** One collected certificate covering a domain, as the analysis reads it. */
export interface DomainCertificate {
  id: string;
  serial_hex: string;
  issuer_dn: string;
  ca: string | null;
  subject_dn: string;
  common_name: string | null;
  san_dns: string[];
  not_before: string;
  not_after: string;
  validity_days: number;
  validation_level: string;
  cert_sha256: string | null;
  first_seen: string | null;
  features: DomainCertificateFeatures;
}

export type DomainMatch = 'exact' | 'wildcard' | 'subdomain';

export interface DomainCertificateItem extends DomainCertificate {
  match: DomainMatch;
}

export interface DomainCertificatesResponse {
  name: string;
  wildcard_parent: string | null;
  include_subdomains: boolean;
  count: number;
  certificates: DomainCertificateItem[];
}

// ---------------------------------------------------------------- summary

export const analysisSummaryQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    lineages: { type: 'string', enum: ['0', '1'], description: '`1`: also return lineages (at most `limit`).' },
    limit: { type: 'string', pattern: '^[0-9]{1,4}$', description: `Lineages returned with lineages=1 (1..${SUMMARY_LINEAGES_LIMIT_MAX}, default ${SUMMARY_LINEAGES_LIMIT_DEFAULT}).` },
  },
} as const;

const shareRow = {
  type: 'object',
  required: ['count', 'share', 'expected_share', 'ratio_to_expected'],
  properties: { count, share, expected_share: share, ratio_to_expected: share },
} as const;

const readinessSchema = {
  type: 'object',
  required: ['lineages', 'ready', 'likely', 'not_ready', 'unknown', 'share'],
  properties: {
    lineages: count,
    ready: count,
    likely: count,
    not_ready: count,
    unknown: count,
    share: { type: 'object', required: ['ready', 'likely', 'not_ready', 'unknown'], properties: { ready: share, likely: share, not_ready: share, unknown: share } },
  },
} as const;

export const analysisGroupSchema = {
  type: 'object',
  required: ['classes', 'expiry_gaps', 'lineage_ends', 'readiness', 'time'],
  properties: {
    classes: {
      type: 'object',
      required: ['lineages', 'automated', 'manual', 'undetermined', 'censored_only', 'share'],
      properties: {
        lineages: count,
        automated: count,
        manual: count,
        undetermined: count,
        censored_only: { ...count, description: 'Lineages renewed only across unobserved time: every renewal censored, so undetermined.' },
        share: { type: 'object', required: ['automated', 'manual', 'undetermined'], properties: { automated: share, manual: share, undetermined: share } },
      },
    },
    expiry_gaps: {
      type: 'object',
      required: ['renewals', 'gaps', 'rate', 'censored'],
      description: '`renewals`: uncensored renewals (the base of `rate`); `censored`: renewals across unobserved time, neither gaps nor intervals.',
      properties: { renewals: count, gaps: count, rate: share, censored: count },
    },
    lineage_ends: {
      type: 'object',
      required: ['ended', 'censored'],
      description: '`ended`: last certificate expired with no renewal within the end margin, all in observed time; `censored`: that time not wholly observed (or still ahead).',
      properties: { ended: count, censored: count },
    },
    readiness: { type: 'object', additionalProperties: readinessSchema, description: 'Per SC-081 maximum validity in days: `200`, `100`, `47`.' },
    time: {
      type: 'object',
      required: ['issuances', 'weekday', 'weekend', 'holiday', 'non_business', 'closure', 'government_non_working', 'business_hours'],
      properties: {
        issuances: count,
        weekday: shareRow,
        weekend: shareRow,
        holiday: shareRow,
        non_business: shareRow,
        closure: shareRow,
        government_non_working: shareRow,
        business_hours: { type: 'object', required: ['count', 'share'], properties: { count, share } },
      },
    },
  },
} as const;

const histogramMap = { type: 'object', additionalProperties: { type: 'array', items: count } } as const;

const lineageSchema = {
  type: 'object',
  required: ['names', 'domain', 'org_type', 'ca', 'cas', 'class', 'certificates', 'issuances', 'first_issued', 'last_not_after', 'readiness'],
  properties: {
    names: { type: 'array', items: { type: 'string' } },
    domain: { type: 'string' },
    org_type: { type: 'string' },
    ca: { type: 'string' },
    cas: { type: 'array', items: { type: 'string' } },
    validation_level: { type: 'string' },
    certificates: count,
    issuances: count,
    first_issued: { type: 'string' },
    last_not_after: { type: 'string' },
    class: { type: 'string', enum: ['automated', 'manual', 'undetermined'] },
    lifetime_relative: { type: 'boolean' },
    automated_with_lapses: { type: 'boolean' },
    evidence: { type: 'object', additionalProperties: true },
    renewals: {
      type: 'array',
      items: {
        type: 'object',
        description: 'A censored renewal (its in-between time not wholly observed) has only its date; the measures are null.',
        properties: {
          not_before: { type: 'string' },
          censored: { type: 'boolean' },
          interval_days: { type: ['number', 'null'] },
          overlap_days: { type: ['number', 'null'] },
          gap_days: { type: ['number', 'null'] },
          ratio: share,
        },
      },
    },
    readiness: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

export const analysisSummaryResponseSchema = {
  type: 'object',
  required: ['version', 'generated_at', 'cache', 'definitions', 'coverage', 'observed_periods', 'input', 'totals', 'period', 'expected_shares_uniform_time', 'overall', 'by_org_type', 'by_ca', 'by_class', 'expiry_gaps', 'histograms', 'heatmap_jst', 'lineage_definitions'],
  properties: {
    version: { type: 'integer' },
    generated_at: { type: 'string', format: 'date-time', description: 'When this summary was computed.' },
    cache: {
      type: 'object',
      required: ['max_age_s', 'age_s', 'duration_s', 'refreshing'],
      properties: {
        max_age_s: { type: 'integer', description: 'Summaries older than this are recomputed in the background.' },
        age_s: { type: 'number' },
        duration_s: { type: 'number', description: 'How long the computation took.' },
        refreshing: { type: 'boolean', description: 'A newer summary is being computed.' },
      },
    },
    definitions: { type: 'object', additionalProperties: true },
    coverage: {
      type: 'object',
      required: ['mode', 'source', 'observed_days', 'end_margin_days', 'note'],
      properties: {
        mode: {
          type: 'string',
          enum: ['observed', 'assumed-complete'],
          description: '`observed`: the observed periods of the coverage ledger (or a coverage file) are applied; `assumed-complete`: no coverage was recorded, the whole data span is taken as observed.',
        },
        source: { type: 'string', description: '`database`, `file:<path>`, `given` or `none`.' },
        observed_days: { type: 'number' },
        end_margin_days: { type: 'number', description: 'How long after its last expiry a lineage is watched before it counts as ended.' },
        note: { type: 'string' },
      },
    },
    observed_periods: {
      type: 'array',
      description: 'The periods the renewal figures rest on (with `assumed-complete`, the data span).',
      items: { type: 'object', required: ['start', 'end'], properties: { start: { type: 'string', format: 'date-time' }, end: { type: 'string', format: 'date-time' } } },
    },
    input: {
      type: 'object',
      required: ['rows', 'skipped_no_dns_name', 'invalid', 'invalid_examples'],
      properties: { rows: count, skipped_no_dns_name: count, invalid: count, invalid_examples: { type: 'array', items: { type: 'string' } }, read_seconds: { type: 'number' }, analysis_seconds: { type: 'number' } },
    },
    totals: {
      type: 'object',
      required: ['certificates', 'issuances', 'folded_certificates', 'lineages', 'renewals', 'renewals_censored', 'lineages_ended_before_observation_end', 'lineages_end_censored', 'issuances_time_unknown'],
      properties: {
        certificates: count,
        issuances: count,
        folded_certificates: count,
        lineages: count,
        renewals: { ...count, description: 'Uncensored renewals: measured intervals.' },
        renewals_censored: count,
        lineages_ended_before_observation_end: count,
        lineages_end_censored: count,
        issuances_time_unknown: count,
      },
    },
    period: { type: ['object', 'null'], required: ['start', 'end', 'days'], properties: { start: { type: 'string' }, end: { type: 'string' }, days: { type: 'number' } } },
    expected_shares_uniform_time: {
      type: ['object', 'null'],
      required: ['weekday', 'weekend', 'holiday', 'non_business', 'closure', 'government_non_working'],
      properties: { weekday: { type: 'number' }, weekend: { type: 'number' }, holiday: { type: 'number' }, non_business: { type: 'number' }, closure: { type: 'number' }, government_non_working: { type: 'number' }, days: { type: 'number' } },
    },
    overall: analysisGroupSchema,
    by_org_type: { type: 'object', additionalProperties: analysisGroupSchema, description: 'Largest group first.' },
    by_ca: { type: 'object', additionalProperties: analysisGroupSchema, description: 'Largest group first.' },
    by_class: { type: 'object', additionalProperties: analysisGroupSchema },
    expiry_gaps: {
      type: 'object',
      required: ['count', 'censored_renewals', 'resumed', 'automated_lineages_with_lapses'],
      description: 'As in summary.json, without the list of every gap length.',
      properties: {
        count,
        censored_renewals: count,
        resumed: { type: 'object', required: ['within_5_days', 'within_30_days', 'later'], properties: { within_5_days: count, within_30_days: count, later: count } },
        automated_lineages_with_lapses: count,
      },
    },
    histograms: {
      type: 'object',
      required: ['censored_renewals', 'interval_bin_days', 'interval_days', 'ratio_bin', 'ratio'],
      properties: { censored_renewals: count, interval_bin_days: { type: 'number' }, interval_days: histogramMap, ratio_bin: { type: 'number' }, ratio: histogramMap },
    },
    heatmap_jst: {
      type: 'object',
      required: ['rows', 'columns', 'counts'],
      properties: { rows: { type: 'string' }, columns: { type: 'string' }, counts: { type: 'array', items: { type: 'array', items: count } } },
    },
    lineage_definitions: { type: 'object', additionalProperties: true },
    completeness: {
      type: ['object', 'null'],
      additionalProperties: true,
      description:
        'How complete the data is, from the SCTs of final certificates: per log the recall where it was read at the SCT time (with the misses), and per CA and pooled a capture–recapture estimate of the certificates no read log holds (`pooled.missed_share` with its 95 % interval). null when no coverage is known.',
    },
    lineages: { type: 'array', items: lineageSchema, description: 'Only with lineages=1: at most `limit`, in the order the analysis produced them.' },
    lineages_total: { type: 'integer', description: 'Only with lineages=1: how many lineages there are.' },
  },
} as const;

export interface ShareRow {
  count: number;
  share: number | null;
  expected_share: number | null;
  ratio_to_expected: number | null;
}

export interface ReadinessGroup {
  lineages: number;
  ready: number;
  likely: number;
  not_ready: number;
  unknown: number;
  share: { ready: number | null; likely: number | null; not_ready: number | null; unknown: number | null };
}

export interface AnalysisGroup {
  classes: {
    lineages: number;
    automated: number;
    manual: number;
    undetermined: number;
    /** Lineages whose every renewal is censored (so undetermined). */
    censored_only: number;
    share: { automated: number | null; manual: number | null; undetermined: number | null };
  };
  /** renewals: uncensored ones (the base of rate); censored: renewals across unobserved time. */
  expiry_gaps: { renewals: number; gaps: number; rate: number | null; censored: number };
  lineage_ends: { ended: number; censored: number };
  readiness: Record<string, ReadinessGroup>;
  time: {
    issuances: number;
    weekday: ShareRow;
    weekend: ShareRow;
    holiday: ShareRow;
    non_business: ShareRow;
    closure: ShareRow;
    government_non_working: ShareRow;
    business_hours: { count: number; share: number | null };
  };
}

/**
 * One exact-SAN-set lineage of the summary. src/analysis produces it (its LineageResult extends this
 * type, naming the organisation types, evidence fields and readiness keys precisely).
 */
export interface SummaryLineage {
  names: readonly string[];
  domain: string;
  org_type: string;
  /** Issuer organisation of the latest issuance; `cas` lists every CA seen in the lineage. */
  ca: string;
  cas: string[];
  validation_level: string;
  certificates: number;
  issuances: number;
  first_issued: string;
  last_not_after: string;
  class: 'automated' | 'manual' | 'undetermined';
  lifetime_relative: boolean;
  automated_with_lapses: boolean;
  evidence: Record<string, unknown>;
  /** A censored renewal has only its date; its measures are null. */
  renewals: { not_before: string; censored: boolean; interval_days: number | null; overlap_days: number | null; gap_days: number | null; ratio: number | null }[];
  readiness: Record<string, string>;
}

export interface AnalysisSummaryResponse {
  version: number;
  generated_at: string;
  cache: { max_age_s: number; age_s: number; duration_s: number; refreshing: boolean };
  definitions: Record<string, unknown>;
  coverage: { mode: 'observed' | 'assumed-complete'; source: string; observed_days: number; end_margin_days: number; note: string };
  observed_periods: { start: string; end: string }[];
  input: { rows: number; skipped_no_dns_name: number; invalid: number; invalid_examples: string[]; read_seconds?: number; analysis_seconds?: number };
  totals: {
    certificates: number;
    issuances: number;
    folded_certificates: number;
    lineages: number;
    renewals: number;
    renewals_censored: number;
    lineages_ended_before_observation_end: number;
    lineages_end_censored: number;
    issuances_time_unknown: number;
  };
  period: { start: string; end: string; days: number } | null;
  expected_shares_uniform_time: { weekday: number; weekend: number; holiday: number; non_business: number; closure: number; government_non_working: number; days?: number } | null;
  overall: AnalysisGroup;
  by_org_type: Record<string, AnalysisGroup>;
  by_ca: Record<string, AnalysisGroup>;
  by_class: Record<string, AnalysisGroup>;
  expiry_gaps: { count: number; censored_renewals: number; resumed: { within_5_days: number; within_30_days: number; later: number }; automated_lineages_with_lapses: number };
  histograms: { censored_renewals: number; interval_bin_days: number; interval_days: Record<string, number[]>; ratio_bin: number; ratio: Record<string, number[]> };
  heatmap_jst: { rows: string; columns: string; counts: number[][] };
  lineage_definitions: Record<string, unknown>;
  /** null when no coverage is known (nothing says which log was read when). */
  completeness?: CompletenessReport | null;
  lineages?: SummaryLineage[];
  lineages_total?: number;
}

/** `completeness` of the analysis summary: how much of the .jp issuance ctjp holds, measured on the SCTs of final certificates (docs/analysis.md). */
export interface CompletenessMiss {
  certificate_id: number;
  log: string;
  sct_time: string;
}

export interface LogRecall {
  log_id: string;
  /** null for a log that is not in the manager's logs table. */
  name: string | null;
  operator: string | null;
  in_catalogue: boolean;
  /** SCTs naming this log, in certificates ctjp holds. */
  sct_count: number;
  /** Those at a time the log's scanned part covers (catalogue logs only). */
  expected: number;
  /** Of the expected, those whose certificate ctjp holds in this log. */
  held: number;
  /** held / expected; null when nothing was expected. */
  recall: number | null;
  /** Wilson 95 % interval of the recall. */
  recall_interval: [number, number] | null;
  miss_count: number;
  /** The first MISS_LIST misses in the order read (certificate id order from the database). */
  misses: CompletenessMiss[];
}

export interface CompletenessEstimate {
  /** Certificates in the estimate (in the frame, carrying SCTs of the anchor operator and of another one). */
  certificates: number;
  /** Caught on occasion A (held in an anchor-operator SCT log), B (held in another SCT log), both. */
  n1: number;
  n2: number;
  m: number;
  /** Held only in logs that are not among their SCTs (final certificates logged elsewhere): seen, but by neither occasion. */
  held_elsewhere_only: number;
  /** Chapman's estimate of all certificates of the stratum, with its standard error and 95 % interval. */
  estimate: number;
  standard_error: number;
  interval: [number, number];
  /** Estimated certificates that no log ctjp read holds: estimate − certificates, never below 0, with its interval. */
  missed: number;
  missed_interval: [number, number];
  /** missed / estimate, with its interval. */
  missed_share: number;
  missed_share_interval: [number, number];
}

export interface CaCompleteness {
  ca: string;
  /** Final certificates of this CA with SCTs that ctjp holds. */
  certificates_with_scts: number;
  /** Left out: issued (earliest SCT) when no catalogue log's scanned part covers; no SCT of the anchor operator; no SCT of any other operator. */
  outside_frame: number;
  without_anchor: number;
  single_operator: number;
  /** Occasion A: the operator named in most of this CA's certificates in the frame. */
  anchor_operator: string | null;
  /** null when no certificate is left for the estimate. */
  estimate: CompletenessEstimate | null;
}

export interface CompletenessReport {
  version: 1;
  definitions: {
    frame: string;
    occasions: string;
    estimator: string;
    confidence: number;
    misses_listed_per_log: number;
  };
  /** What was read from the database (filled in by completenessFromDatabase; zeros when fed directly). */
  input: {
    certificates: number;
    precertificate_only: number;
    final: number;
    final_with_scts: number;
    /** Final certificates with the SCT extension whose stored fields carry no SCT list (stored before ctjp extracted it). */
    final_scts_not_stored: number;
    final_without_scts: number;
  };
  logs: LogRecall[];
  by_ca: CaCompleteness[];
  /** Sum over the CAs' strata: estimates and variances add (the strata are disjoint). */
  pooled: CompletenessEstimate | null;
  notes: string[];
}
