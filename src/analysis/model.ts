/**
 * The analysis input: one record per distinct certificate, independent of how it was stored.
 * Times are milliseconds since the Unix epoch (UTC).
 */
export type ValidationLevel = 'DV' | 'OV' | 'EV' | 'IV' | 'unknown';

export interface AnalysisCertificate {
  /** Opaque, stable identifier (the database row id). */
  id: string;
  /** SAN dNSNames: lower case, distinct, sorted. */
  names: readonly string[];
  notBefore: number;
  notAfter: number;
  /** Earliest CT leaf timestamp over every sighting; null when unknown. */
  ctTimestamp: number | null;
  /** The CA as named in the issuer's O attribute; null when the issuer DN has none. */
  issuerOrg: string | null;
  issuerCn: string | null;
  issuerDn: string;
  serialHex: string;
  validationLevel: ValidationLevel;
  /** Seen as a precertificate entry / as a final-certificate entry. */
  seenPrecert: boolean;
  seenFinal: boolean;
}

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;

/** Lower-cases, de-duplicates and sorts names the way every lineage key expects them. */
export function normaliseNames(names: Iterable<string>): string[] {
  const set = new Set<string>();
  for (const n of names) {
    const v = n.trim().toLowerCase().replace(/\.$/, '');
    if (v) set.add(v);
  }
  return [...set].sort();
}

/** The key of a lineage under the exact-SAN-set definition. */
export function sanSetKey(names: readonly string[]): string {
  return names.join(',');
}

/** Throws with a message naming the field when a record cannot be analysed. */
export function checkCertificate(c: AnalysisCertificate): void {
  const where = `certificate ${c.id}`;
  if (!Number.isFinite(c.notBefore) || !Number.isFinite(c.notAfter)) throw new Error(`${where}: not_before/not_after is not a valid time`);
  if (c.notAfter < c.notBefore) throw new Error(`${where}: not_after precedes not_before`);
  if (c.ctTimestamp !== null && !Number.isFinite(c.ctTimestamp)) throw new Error(`${where}: ct timestamp is not a valid time`);
  if (c.names.length === 0) throw new Error(`${where}: no SAN dNSName`);
  for (let i = 1; i < c.names.length; i++) {
    if (!(c.names[i - 1] < c.names[i])) throw new Error(`${where}: SAN names are not sorted and distinct`);
  }
}
