/**
 * Per-domain certificate list with the features phishing detectors use
 * (for GET /api/v1/domains/{name}/certificates).
 */
import { domainToASCII } from 'node:url';
import { sql } from 'kysely';
import type { Connection } from 'mysql2/promise';
import { isoSecond, lowerHex, readQueries, readRows } from '../db/read-connection.js';
import type { DomainCertificate, DomainCertificateItem, DomainMatch } from '../share/api/analysis.js';
import { isFreeAcmeCa } from './cas.js';
import { normaliseNames } from './model.js';

export type { DomainCertificate, DomainCertificateItem, DomainMatch };

const MAX_NAME = 253;
const MAX_LABEL = 63;
const LABEL = /^[a-z0-9_-]+$/;
const NON_ASCII = /[^\p{ASCII}]/u;

/**
 * The name as it is looked up (A-labels, lower case, no trailing dot). Throws an Error whose message
 * quotes the name and says what is wrong with it: empty, too long, an empty or over-long label, a
 * character outside letters, digits, `-` and `_`, a wildcard anywhere but as the whole leftmost
 * label, or an `xn--` label that is not valid punycode. Unicode names are converted to A-labels.
 */
export function checkDomainName(raw: string): string {
  const bad = (why: string): Error => new Error(`domain name ${JSON.stringify(raw)} is not a valid DNS name: ${why}`);
  let n = raw.trim();
  if (NON_ASCII.test(n)) {
    n = domainToASCII(n);
    if (n === '') throw bad('it is not a valid internationalised name (IDNA)');
  }
  n = n.toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  if (n.length === 0) throw bad('it is empty');
  if (n.length > MAX_NAME) throw bad(`it is ${n.length} characters long, more than ${MAX_NAME}`);
  const labels = n.split('.');
  labels.forEach((label, i) => {
    if (label.length === 0) throw bad('it has an empty label');
    if (label.length > MAX_LABEL) throw bad(`label ${JSON.stringify(label.slice(0, 20))}… is ${label.length} characters long, more than ${MAX_LABEL}`);
    if (label === '*' && i === 0 && labels.length > 1) return;
    if (label.includes('*')) throw bad('a wildcard is allowed only as the whole leftmost label (*.example.jp)');
    if (!LABEL.test(label)) {
      const c = [...label].find((ch) => !/[a-z0-9_-]/.test(ch))!;
      throw bad(`label ${JSON.stringify(label)} contains ${JSON.stringify(c)} (letters, digits, "-" and "_" only; Unicode names are converted to punycode)`);
    }
    if (label.startsWith('xn--') && domainToASCII(label) === '') throw bad(`label ${JSON.stringify(label)} is not valid punycode`);
  });
  return n;
}

/** The wildcard name that covers `name` (`*.example.jp` for `www.example.jp`); none for a wildcard or a parent of one label. */
export function wildcardParentOf(name: string): string | null {
  if (name.startsWith('*.')) return null;
  const parent = name.split('.').slice(1);
  return parent.length >= 2 ? `*.${parent.join('.')}` : null;
}

function subjectHasOrganisation(dn: string): boolean {
  return /(^|[,+])\s*(O|2\.5\.4\.10)=/.test(dn);
}

const MATCHES: readonly DomainMatch[] = ['exact', 'wildcard', 'subdomain'];

/** As the database's REVERSE() on the ASCII name column: character by character. */
const reversed = (name: string): string => [...name].reverse().join('');

/**
 * Certificates covering `name`, newest first, at most `limit`, found through certificate_names:
 * those listing the name itself (`exact`); with `wildcard`, those listing the wildcard over it
 * (`*.example.jp` for `www.example.jp`); with `includeSubdomains`, those listing a name under it
 * (`subdomain`, wildcards under it included). A certificate matching several ways is listed once,
 * with the first of exact, wildcard, subdomain.
 */
export async function certificatesForDomain(
  conn: Connection,
  name: string,
  opts: { includeSubdomains?: boolean; wildcard?: boolean; limit?: number } = {},
): Promise<DomainCertificateItem[]> {
  const n = checkDomainName(name);
  const limit = Math.min(Math.max(1, opts.limit ?? 500), 5000);
  const named = (kind: number) => readQueries.selectFrom('certificate_names').select(['certificate_id', sql.lit(kind).as('kind')]);
  // Every look-up reads the one index, on name_rev: a name is equal exactly when its reversal is.
  let matches = named(0).where('name_rev', '=', reversed(n));
  const parent = opts.wildcard ? wildcardParentOf(n) : null;
  if (parent) matches = matches.unionAll(named(1).where('name_rev', '=', reversed(parent)));
  if (opts.includeSubdomains) {
    // Names under n are those whose reversal starts with the reversal of ".n": a range on the
    // name_rev index, from that prefix up to the same prefix with its final "." raised to "/".
    const prefix = reversed(`.${n}`);
    matches = matches.unionAll(named(2).where('name_rev', '>=', prefix).where('name_rev', '<', `${prefix.slice(0, -1)}/`));
  }
  // The page is chosen first (derived table), so first_seen is looked up for the returned rows only.
  const page = readQueries
    .selectFrom(
      readQueries
        .selectFrom(matches.as('u'))
        .select((eb) => ['certificate_id', eb.fn.min('kind').as('kind')])
        .groupBy('certificate_id')
        .as('m'),
    )
    .innerJoin('certificates as c', 'c.id', 'm.certificate_id')
    .select(['c.id', 'm.kind'])
    .where('c.quarantined', '=', 0)
    .orderBy('c.not_before', 'desc')
    .orderBy('c.id', 'desc')
    .limit(limit);
  const rows = await readRows(
    conn,
    readQueries
      .selectFrom(page.as('p'))
      .innerJoin('certificates as c', 'c.id', 'p.id')
      .select((eb) => [
        'c.id', 'p.kind', 'c.serial_hex', 'c.issuer_dn', 'c.issuer_org', 'c.subject_dn', 'c.common_name', 'c.san_dns', 'c.validity_days', 'c.validation_level',
        isoSecond(eb.ref('c.not_before')).as('nb'), isoSecond(eb.ref('c.not_after')).as('na'), lowerHex(eb.ref('c.cert_sha256')).as('sha'),
        'c.fields',
        eb
          .selectFrom('sightings as s')
          .select((sb) => sb.fn.min('s.leaf_timestamp').as('first'))
          .whereRef('s.certificate_id', '=', 'c.id')
          .where('s.quarantined', '=', 0)
          .as('first_seen'),
      ])
      .orderBy('c.not_before', 'desc')
      .orderBy('c.id', 'desc'),
  );
  const out: DomainCertificateItem[] = [];
  for (const r of rows) {
    const san: string[] = JSON.parse(r.san_dns);
    const names = normaliseNames(san);
    let fields: Record<string, unknown> = {};
    try {
      fields = JSON.parse(r.fields);
    } catch {
      // an unparsable fields column leaves the feature at its default below
    }
    const level = r.validation_level;
    out.push({
      id: String(r.id),
      match: MATCHES[Number(r.kind)],
      serial_hex: r.serial_hex,
      issuer_dn: r.issuer_dn,
      ca: r.issuer_org ?? null,
      subject_dn: r.subject_dn,
      common_name: r.common_name ?? null,
      san_dns: san,
      not_before: r.nb,
      not_after: r.na,
      validity_days: r.validity_days,
      validation_level: level,
      cert_sha256: r.sha ?? null,
      first_seen: r.first_seen === null ? null : new Date(Number(r.first_seen)).toISOString(),
      features: {
        has_crl_distribution_point: fields.hasCrlDistributionPoints === true,
        ov_or_ev: level === 'OV' || level === 'EV',
        wildcard: names.some((x) => x.startsWith('*.')),
        validity_over_180_days: r.validity_days > 180,
        san_count_10_or_more: san.length >= 10,
        free_acme_ca: isFreeAcmeCa(r.issuer_org ?? null),
        no_subject_organisation: !subjectHasOrganisation(r.subject_dn),
      },
    });
  }
  return out;
}
