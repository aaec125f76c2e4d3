/**
 * Per-domain certificate list with the features phishing detectors use
 * (for GET /api/v1/domains/{name}/certificates).
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { DomainCertificate } from '../share/api/analysis.js';
import { isFreeAcmeCa } from './cas.js';
import { normaliseNames } from './model.js';

export type { DomainCertificate };

const NAME = /^(\*\.)?([a-z0-9-]{1,63}\.)*[a-z0-9-]{1,63}\.?$/;

/** Throws a message naming the problem when `name` cannot be a DNS name. */
export function checkDomainName(name: string): string {
  const n = name.trim().toLowerCase().replace(/\.$/, '');
  if (n.length === 0 || n.length > 253 || !NAME.test(n)) throw new Error(`domain name is not a valid DNS name: ${JSON.stringify(name)}`);
  return n;
}

function subjectHasOrganisation(dn: string): boolean {
  return /(^|[,+])\s*(O|2\.5\.4\.10)=/.test(dn);
}

/**
 * Certificates whose SAN list contains `name` exactly, or `name` under one of its registrable
 * subdomains when includeSubdomains is set. Newest first, at most `limit`.
 */
export async function certificatesForDomain(
  conn: Connection,
  name: string,
  opts: { includeSubdomains?: boolean; limit?: number } = {},
): Promise<DomainCertificate[]> {
  const n = checkDomainName(name);
  const limit = Math.min(Math.max(1, opts.limit ?? 500), 5000);
  // The SAN list is stored as a JSON array string, so a LIKE on the quoted name finds candidates and the
  // exact test below confirms them. Names keep the certificate's case in the table (binary collation), and
  // DNS names are case-insensitive, hence LOWER.
  const pattern = opts.includeSubdomains ? `%${n.replace(/[%_\\]/g, '\\$&')}"%` : `%"${n.replace(/[%_\\]/g, '\\$&')}"%`;
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT c.id, c.serial_hex, c.issuer_dn, c.issuer_org, c.subject_dn, c.common_name, c.san_dns, c.validity_days, c.validation_level,
       DATE_FORMAT(c.not_before, '%Y-%m-%dT%H:%i:%sZ') AS nb, DATE_FORMAT(c.not_after, '%Y-%m-%dT%H:%i:%sZ') AS na, LOWER(HEX(c.cert_sha256)) AS sha,
       c.fields, (SELECT MIN(s.leaf_timestamp) FROM sightings s WHERE s.certificate_id = c.id) AS first_seen
     FROM certificates c WHERE LOWER(c.san_dns) LIKE ? OR LOWER(c.jp_names) LIKE ? ORDER BY c.not_before DESC, c.id DESC LIMIT ?`,
    [pattern, pattern, limit * 4],
  );
  const out: DomainCertificate[] = [];
  for (const r of rows) {
    const san: string[] = JSON.parse(String(r.san_dns));
    const names = normaliseNames(san);
    const match = names.includes(n) || (opts.includeSubdomains === true && names.some((x) => x.endsWith(`.${n}`)));
    if (!match) continue;
    let fields: Record<string, unknown> = {};
    try {
      fields = JSON.parse(String(r.fields));
    } catch {
      // an unparsable fields column leaves the feature at its default below
    }
    const level = String(r.validation_level);
    out.push({
      id: String(r.id),
      serial_hex: String(r.serial_hex),
      issuer_dn: String(r.issuer_dn),
      ca: r.issuer_org ?? null,
      subject_dn: String(r.subject_dn),
      common_name: r.common_name ?? null,
      san_dns: san,
      not_before: String(r.nb),
      not_after: String(r.na),
      validity_days: Number(r.validity_days),
      validation_level: level,
      cert_sha256: r.sha ?? null,
      first_seen: r.first_seen === null ? null : new Date(Number(r.first_seen)).toISOString(),
      features: {
        has_crl_distribution_point: fields.hasCrlDistributionPoints === true,
        ov_or_ev: level === 'OV' || level === 'EV',
        wildcard: names.some((x) => x.startsWith('*.')),
        validity_over_180_days: Number(r.validity_days) > 180,
        san_count_10_or_more: san.length >= 10,
        free_acme_ca: isFreeAcmeCa(r.issuer_org ?? null),
        no_subject_organisation: !subjectHasOrganisation(String(r.subject_dn)),
      },
    });
    if (out.length >= limit) break;
  }
  return out;
}
