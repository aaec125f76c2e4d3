/**
 * What is known about a CA from its issuer organisation name.
 */

/** CAs that issue publicly trusted certificates only through ACME, so every lineage there runs an ACME client. */
const ACME_ONLY = [/^let's encrypt$/i, /^google trust services( llc)?$/i];
/** CAs offering free certificates over ACME (a phishing-detection feature, not an automation signal). */
const FREE_ACME = [/^let's encrypt$/i, /^google trust services( llc)?$/i, /^zerossl$/i, /^buypass as/i];

export function caName(issuerOrg: string | null, issuerCn: string | null): string {
  return issuerOrg?.trim() || (issuerCn?.trim() ? `(CN) ${issuerCn.trim()}` : '(unknown)');
}

export function isAcmeOnlyCa(issuerOrg: string | null): boolean {
  return issuerOrg !== null && ACME_ONLY.some((re) => re.test(issuerOrg.trim()));
}

export function isFreeAcmeCa(issuerOrg: string | null): boolean {
  return issuerOrg !== null && FREE_ACME.some((re) => re.test(issuerOrg.trim()));
}
