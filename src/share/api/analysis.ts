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
  required: ['classes', 'expiry_gaps', 'readiness', 'time'],
  properties: {
    classes: {
      type: 'object',
      required: ['lineages', 'automated', 'manual', 'undetermined', 'share'],
      properties: {
        lineages: count,
        automated: count,
        manual: count,
        undetermined: count,
        share: { type: 'object', required: ['automated', 'manual', 'undetermined'], properties: { automated: share, manual: share, undetermined: share } },
      },
    },
    expiry_gaps: { type: 'object', required: ['renewals', 'gaps', 'rate'], properties: { renewals: count, gaps: count, rate: share } },
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
        properties: { not_before: { type: 'string' }, interval_days: { type: 'number' }, overlap_days: { type: 'number' }, gap_days: { type: 'number' }, ratio: share },
      },
    },
    readiness: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

export const analysisSummaryResponseSchema = {
  type: 'object',
  required: ['version', 'generated_at', 'cache', 'definitions', 'input', 'totals', 'period', 'expected_shares_uniform_time', 'overall', 'by_org_type', 'by_ca', 'by_class', 'expiry_gaps', 'histograms', 'heatmap_jst', 'lineage_definitions'],
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
    input: {
      type: 'object',
      required: ['rows', 'skipped_no_dns_name', 'invalid', 'invalid_examples'],
      properties: { rows: count, skipped_no_dns_name: count, invalid: count, invalid_examples: { type: 'array', items: { type: 'string' } }, read_seconds: { type: 'number' }, analysis_seconds: { type: 'number' } },
    },
    totals: {
      type: 'object',
      required: ['certificates', 'issuances', 'folded_certificates', 'lineages', 'renewals', 'lineages_ended_before_observation_end', 'issuances_time_unknown'],
      properties: {
        certificates: count,
        issuances: count,
        folded_certificates: count,
        lineages: count,
        renewals: count,
        lineages_ended_before_observation_end: count,
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
      required: ['count', 'resumed', 'automated_lineages_with_lapses'],
      description: 'As in summary.json, without the list of every gap length.',
      properties: {
        count,
        resumed: { type: 'object', required: ['within_5_days', 'within_30_days', 'later'], properties: { within_5_days: count, within_30_days: count, later: count } },
        automated_lineages_with_lapses: count,
      },
    },
    histograms: {
      type: 'object',
      required: ['interval_bin_days', 'interval_days', 'ratio_bin', 'ratio'],
      properties: { interval_bin_days: { type: 'number' }, interval_days: histogramMap, ratio_bin: { type: 'number' }, ratio: histogramMap },
    },
    heatmap_jst: {
      type: 'object',
      required: ['rows', 'columns', 'counts'],
      properties: { rows: { type: 'string' }, columns: { type: 'string' }, counts: { type: 'array', items: { type: 'array', items: count } } },
    },
    lineage_definitions: { type: 'object', additionalProperties: true },
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
  classes: { lineages: number; automated: number; manual: number; undetermined: number; share: { automated: number | null; manual: number | null; undetermined: number | null } };
  expiry_gaps: { renewals: number; gaps: number; rate: number | null };
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
  renewals: { not_before: string; interval_days: number; overlap_days: number; gap_days: number; ratio: number | null }[];
  readiness: Record<string, string>;
}

export interface AnalysisSummaryResponse {
  version: number;
  generated_at: string;
  cache: { max_age_s: number; age_s: number; duration_s: number; refreshing: boolean };
  definitions: Record<string, unknown>;
  input: { rows: number; skipped_no_dns_name: number; invalid: number; invalid_examples: string[]; read_seconds?: number; analysis_seconds?: number };
  totals: {
    certificates: number;
    issuances: number;
    folded_certificates: number;
    lineages: number;
    renewals: number;
    lineages_ended_before_observation_end: number;
    issuances_time_unknown: number;
  };
  period: { start: string; end: string; days: number } | null;
  expected_shares_uniform_time: { weekday: number; weekend: number; holiday: number; non_business: number; closure: number; government_non_working: number; days?: number } | null;
  overall: AnalysisGroup;
  by_org_type: Record<string, AnalysisGroup>;
  by_ca: Record<string, AnalysisGroup>;
  by_class: Record<string, AnalysisGroup>;
  expiry_gaps: { count: number; resumed: { within_5_days: number; within_30_days: number; later: number }; automated_lineages_with_lapses: number };
  histograms: { interval_bin_days: number; interval_days: Record<string, number[]>; ratio_bin: number; ratio: Record<string, number[]> };
  heatmap_jst: { rows: string; columns: string; counts: number[][] };
  lineage_definitions: Record<string, unknown>;
  lineages?: SummaryLineage[];
  lineages_total?: number;
}
