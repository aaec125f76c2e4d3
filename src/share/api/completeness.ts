/**
 * The completeness report of the analysis summary. The summary's schema leaves `completeness` open
 * (src/share/api/analysis.ts): src/analysis/completeness.ts produces it, and these types say its shape.
 */

/** A certificate that a log read at its SCT time should hold and does not. */
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
