/**
 * The analysis endpoints' contract: certificates covering a domain with phishing-detector features,
 * and the cached renewal-analysis summary (docs/analysis.md defines every figure). The JSON Schemas
 * are written with TypeBox and the TypeScript types below are derived from them.
 */
import { Type, type Static, type TSchemaOptions } from 'typebox';
import { mapOf, nullable, openObject, stringEnum } from './builders.js';
import type { CompletenessReport } from './completeness.js';

export type * from './completeness.js';

export const DOMAIN_NAME_MAX = 253;
export const DOMAIN_CERTIFICATES_LIMIT_MAX = 1000;
export const DOMAIN_CERTIFICATES_LIMIT_DEFAULT = 100;
export const SUMMARY_LINEAGES_LIMIT_MAX = 1000;
export const SUMMARY_LINEAGES_LIMIT_DEFAULT = 100;

const share = () => nullable(Type.Number());
const count = (options: TSchemaOptions = {}) => Type.Integer({ minimum: 0, ...options });
const nullableString = (options: TSchemaOptions = {}) => nullable(Type.String(), options);
/** A query flag: `1` on, `0` (or absent) off. */
const flag = (description: string) => Type.Optional(stringEnum(['0', '1'], { description }));
const limit = (max: number, description: string) => Type.Optional(Type.Integer({ minimum: 1, maximum: max, description }));

// ---------------------------------------------------------------- domains

export const domainCertificatesParamsSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: DOMAIN_NAME_MAX + 1, description: 'A DNS name (`www.example.jp`), case-insensitive, trailing dot allowed.' }),
});

export const domainCertificatesQuerySchema = Type.Object(
  {
    limit: limit(DOMAIN_CERTIFICATES_LIMIT_MAX, `Most certificates returned, newest first (1..${DOMAIN_CERTIFICATES_LIMIT_MAX}, default ${DOMAIN_CERTIFICATES_LIMIT_DEFAULT}).`),
    include_subdomains: flag('`1`: also certificates for names under the domain (`match: "subdomain"`). Refused for a public suffix (`co.jp`) and for a wildcard name.'),
  },
  { additionalProperties: false },
);

const featuresSchema = Type.Object({
  has_crl_distribution_point: Type.Boolean(),
  ov_or_ev: Type.Boolean({ description: 'Validation level OV or EV.' }),
  wildcard: Type.Boolean({ description: 'A SAN dNSName starts with `*.`.' }),
  validity_over_180_days: Type.Boolean(),
  san_count_10_or_more: Type.Boolean(),
  free_acme_ca: Type.Boolean({ description: "Let's Encrypt, Google Trust Services, ZeroSSL or Buypass." }),
  no_subject_organisation: Type.Boolean({ description: 'The subject DN has no O attribute.' }),
});

/** One collected certificate covering a domain, as the analysis reads it, and how it matches. */
export const domainCertificateSchema = Type.Object({
  id: Type.String({ description: 'The manager’s certificate row id.' }),
  match: stringEnum(['exact', 'wildcard', 'subdomain'], {
    description:
      '`exact`: the certificate names the domain (SAN, or a CN that is a DNS name); `wildcard`: it names `*.<parent>`, which covers the domain; `subdomain` (with include_subdomains=1): it names something under the domain.',
  }),
  serial_hex: Type.String(),
  issuer_dn: Type.String(),
  ca: nullableString({ description: 'Issuer organisation.' }),
  subject_dn: Type.String(),
  common_name: nullableString(),
  san_dns: Type.Array(Type.String()),
  not_before: Type.String({ format: 'date-time' }),
  not_after: Type.String({ format: 'date-time' }),
  validity_days: Type.Number(),
  validation_level: Type.String(),
  cert_sha256: nullableString({ description: 'SHA-256 of the final certificate; null while only the precertificate was seen.' }),
  first_seen: nullableString({ description: 'Earliest CT timestamp of any sighting.' }),
  features: featuresSchema,
});

export const domainCertificatesResponseSchema = Type.Object({
  name: Type.String({ description: 'The name asked for, normalised (A-labels, lower case, no trailing dot).' }),
  wildcard_parent: nullableString({ description: 'The wildcard name that would cover it (`*.example.jp`), when there is one.' }),
  include_subdomains: Type.Boolean(),
  count: count(),
  certificates: Type.Array(domainCertificateSchema),
});

// ---------------------------------------------------------------- summary

export const analysisSummaryQuerySchema = Type.Object(
  {
    lineages: flag('`1`: also return lineages (at most `limit`).'),
    limit: limit(SUMMARY_LINEAGES_LIMIT_MAX, `Lineages returned with lineages=1 (1..${SUMMARY_LINEAGES_LIMIT_MAX}, default ${SUMMARY_LINEAGES_LIMIT_DEFAULT}).`),
  },
  { additionalProperties: false },
);

const shareRow = Type.Object({ count: count(), share: share(), expected_share: share(), ratio_to_expected: share() });

const readinessSchema = Type.Object({
  lineages: count(),
  ready: count(),
  likely: count(),
  not_ready: count(),
  unknown: count(),
  share: Type.Object({ ready: share(), likely: share(), not_ready: share(), unknown: share() }),
});

export const analysisGroupSchema = Type.Object({
  classes: Type.Object({
    lineages: count(),
    automated: count(),
    manual: count(),
    undetermined: count(),
    censored_only: count({ description: 'Lineages renewed only across unobserved time: every renewal censored, so undetermined.' }),
    share: Type.Object({ automated: share(), manual: share(), undetermined: share() }),
  }),
  expiry_gaps: Type.Object(
    { renewals: count(), gaps: count(), rate: share(), censored: count() },
    { description: '`renewals`: uncensored renewals (the base of `rate`); `censored`: renewals across unobserved time, neither gaps nor intervals.' },
  ),
  lineage_ends: Type.Object(
    { ended: count(), censored: count() },
    { description: '`ended`: last certificate expired with no renewal within the end margin, all in observed time; `censored`: that time not wholly observed (or still ahead).' },
  ),
  readiness: mapOf(readinessSchema, { description: 'Per SC-081 maximum validity in days: `200`, `100`, `47`.' }),
  time: Type.Object({
    issuances: count(),
    weekday: shareRow,
    weekend: shareRow,
    holiday: shareRow,
    non_business: shareRow,
    closure: shareRow,
    government_non_working: shareRow,
    business_hours: Type.Object({ count: count(), share: share() }),
  }),
});

const histogramMap = mapOf(Type.Array(count()));

/**
 * One exact-SAN-set lineage of the summary. src/analysis produces it (its LineageResult extends this
 * type, naming the organisation types, evidence fields and readiness keys precisely).
 */
const lineageSchema = Type.Object({
  names: Type.Immutable(Type.Array(Type.String())),
  domain: Type.String(),
  org_type: Type.String(),
  /** Issuer organisation of the latest issuance; `cas` lists every CA seen in the lineage. */
  ca: Type.String(),
  cas: Type.Array(Type.String()),
  validation_level: Type.String(),
  certificates: count(),
  issuances: count(),
  first_issued: Type.String(),
  last_not_after: Type.String(),
  class: stringEnum(['automated', 'manual', 'undetermined']),
  lifetime_relative: Type.Boolean(),
  automated_with_lapses: Type.Boolean(),
  evidence: openObject(),
  renewals: Type.Array(
    Type.Object(
      {
        not_before: Type.String(),
        censored: Type.Boolean(),
        interval_days: nullable(Type.Number()),
        overlap_days: nullable(Type.Number()),
        gap_days: nullable(Type.Number()),
        ratio: share(),
      },
      { description: 'A censored renewal (its in-between time not wholly observed) has only its date; the measures are null.' },
    ),
  ),
  readiness: mapOf(Type.String()),
});

const dateTimeSpan = Type.Object({ start: Type.String({ format: 'date-time' }), end: Type.String({ format: 'date-time' }) });

export const analysisSummaryResponseSchema = Type.Object({
  version: Type.Integer(),
  generated_at: Type.String({ format: 'date-time', description: 'When this summary was computed.' }),
  cache: Type.Object({
    max_age_s: Type.Integer({ description: 'Summaries older than this are recomputed in the background.' }),
    age_s: Type.Number(),
    duration_s: Type.Number({ description: 'How long the computation took.' }),
    refreshing: Type.Boolean({ description: 'A newer summary is being computed.' }),
  }),
  definitions: openObject(),
  coverage: Type.Object({
    mode: stringEnum(['observed', 'assumed-complete'], {
      description:
        '`observed`: the observed periods of the coverage ledger (or a coverage file) are applied; `assumed-complete`: no coverage was recorded, the whole data span is taken as observed.',
    }),
    source: Type.String({ description: '`database`, `file:<path>`, `given` or `none`.' }),
    observed_days: Type.Number(),
    end_margin_days: Type.Number({ description: 'How long after its last expiry a lineage is watched before it counts as ended.' }),
    note: Type.String(),
  }),
  observed_periods: Type.Array(dateTimeSpan, { description: 'The periods the renewal figures rest on (with `assumed-complete`, the data span).' }),
  input: Type.Object({
    rows: count(),
    skipped_no_dns_name: count(),
    invalid: count(),
    invalid_examples: Type.Array(Type.String()),
    read_seconds: Type.Optional(Type.Number()),
    analysis_seconds: Type.Optional(Type.Number()),
  }),
  totals: Type.Object({
    certificates: count(),
    issuances: count(),
    folded_certificates: count(),
    lineages: count(),
    renewals: count({ description: 'Uncensored renewals: measured intervals.' }),
    renewals_censored: count(),
    lineages_ended_before_observation_end: count(),
    lineages_end_censored: count(),
    issuances_time_unknown: count(),
  }),
  period: nullable(Type.Object({ start: Type.String(), end: Type.String(), days: Type.Number() })),
  expected_shares_uniform_time: nullable(
    Type.Object({
      weekday: Type.Number(),
      weekend: Type.Number(),
      holiday: Type.Number(),
      non_business: Type.Number(),
      closure: Type.Number(),
      government_non_working: Type.Number(),
      days: Type.Optional(Type.Number()),
    }),
  ),
  overall: analysisGroupSchema,
  by_org_type: mapOf(analysisGroupSchema, { description: 'Largest group first.' }),
  by_ca: mapOf(analysisGroupSchema, { description: 'Largest group first.' }),
  by_class: mapOf(analysisGroupSchema),
  expiry_gaps: Type.Object(
    {
      count: count(),
      censored_renewals: count(),
      resumed: Type.Object({ within_5_days: count(), within_30_days: count(), later: count() }),
      automated_lineages_with_lapses: count(),
    },
    { description: 'As in summary.json, without the list of every gap length.' },
  ),
  histograms: Type.Object({ censored_renewals: count(), interval_bin_days: Type.Number(), interval_days: histogramMap, ratio_bin: Type.Number(), ratio: histogramMap }),
  heatmap_jst: Type.Object({ rows: Type.String(), columns: Type.String(), counts: Type.Array(Type.Array(count())) }),
  lineage_definitions: openObject(),
  completeness: Type.Optional(
    nullable(openObject<CompletenessReport>(), {
      description:
        'How complete the data is, from the SCTs of final certificates: per log the recall where it was read at the SCT time (with the misses), and per CA and pooled a capture–recapture estimate of the certificates no read log holds (`pooled.missed_share` with its 95 % interval). null when no coverage is known.',
    }),
  ),
  lineages: Type.Optional(Type.Array(lineageSchema, { description: 'Only with lineages=1: at most `limit`, in the order the analysis produced them.' })),
  lineages_total: Type.Optional(Type.Integer({ description: 'Only with lineages=1: how many lineages there are.' })),
});

export type DomainCertificateItem = Static<typeof domainCertificateSchema>;
export type DomainMatch = DomainCertificateItem['match'];
export type DomainCertificate = Omit<DomainCertificateItem, 'match'>;
export type DomainCertificateFeatures = Static<typeof featuresSchema>;
export type DomainCertificatesResponse = Static<typeof domainCertificatesResponseSchema>;
export type ShareRow = Static<typeof shareRow>;
export type ReadinessGroup = Static<typeof readinessSchema>;
export type AnalysisGroup = Static<typeof analysisGroupSchema>;
export type SummaryLineage = Static<typeof lineageSchema>;
export type AnalysisSummaryResponse = Static<typeof analysisSummaryResponseSchema>;
