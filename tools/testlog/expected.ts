/**
 * The expected data written next to the test logs: what a correct collector
 * must find (every `.jp` entry, the distinct `.jp` certificates) and what a
 * correct analysis must conclude (lineages, renewal dates, gaps, JST flags).
 * Field names are snake_case, as in the JSON file.
 */
import type { Level } from './cas.js';
import type { OrgType } from './names.js';
import type { LineageClass } from './plan.js';

export interface ExpectedEntry {
  log: string;
  index: number;
  entry_type: 'x509_entry' | 'precert_entry';
  /** Hex SHA-256 of the certificate DER (x509_entry) or of the TBSCertificate in the leaf (precert_entry). */
  sha256: string;
  /** dNSName SANs, lower case, as in the certificate. */
  names: string[];
  certificate: string;
  timestamp: number;
}

export interface JstFlags {
  jst_date: string;
  jst_time: string;
  weekday: string;
  weekend: boolean;
  holiday: boolean;
  holiday_name: string | null;
}

export interface ExpectedCertificate {
  id: string;
  lineage: string;
  issuer_dn: string;
  subject_dn: string;
  common_name: string;
  serial_hex: string;
  not_before: string;
  not_after: string;
  validity_days: number;
  san_dns: string[];
  ca: string;
  issuer_id: string;
  validation_level: Level;
  policy_oids: string[];
  key_algorithm: 'RSA' | 'EC';
  key_size: number;
  signature_algorithm: string;
  wildcard: boolean;
  crl_urls: string[];
  /** Final certificate DER. */
  cert_sha256: string;
  /** Precertificate DER (with poison), null when no precertificate was logged. */
  precert_sha256: string | null;
  /** The TBSCertificate of precert_entry leaves (no poison, no SCT list); null without a precertificate. */
  leaf_tbs_sha256: string | null;
  spki_sha256: string;
  /** JST facts of not_before. */
  issued: JstFlags;
  sightings: { log: string; index: number; entry_type: 'x509_entry' | 'precert_entry'; timestamp: number }[];
}

export interface ExpectedRenewal extends JstFlags {
  previous: string;
  certificate: string;
  /** not_before of the new certificate: the renewal instant. */
  renewed_at: string;
  days_since_previous_issuance: number;
  /** Negative when the new certificate came after the previous one expired. */
  days_before_previous_expiry: number;
  lapsed: boolean;
  /** Days between the previous not_after and the new not_before; 0 unless lapsed. */
  gap_days: number;
}

export interface ExpectedLineage {
  id: string;
  class: LineageClass;
  style: 'automated' | 'manual';
  domain: string;
  org_type: OrgType;
  names: string[];
  ca: string;
  issuer_id: string;
  validation_level: Level;
  certificates: string[];
  renewals: ExpectedRenewal[];
  gaps_days: number[];
}

export interface ExpectedData {
  generator_version: number;
  seed: string;
  window: { start: string; end: string };
  logs: { name: string; tree_size: number; jp_entries: number }[];
  jp_entries: ExpectedEntry[];
  certificates: ExpectedCertificate[];
  lineages: ExpectedLineage[];
}
