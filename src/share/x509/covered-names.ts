/**
 * The DNS names a certificate covers, in the form the manager indexes them for the domain look-up:
 * every SAN dNSName and the subject CN when it is a DNS name, each as normalizeDnsName gives it
 * (A-labels, lower case, no trailing dot), distinct and sorted. Wildcards stay as written
 * (`*.example.jp`): a look-up for `www.example.jp` asks for `*.example.jp` by name.
 */
import { normalizeDnsName } from './jp.js';

/**
 * A CN is taken as a DNS name only when it normalises and has at least two labels: a CN such as
 * "Example Corp" or "Acme" names an organisation, not a host.
 */
function commonNameAsDnsName(cn: string): string | null {
  const n = normalizeDnsName(cn);
  return n !== null && n.includes('.') ? n : null;
}

export function coveredDnsNames(sanDns: readonly string[], commonName: string | null): string[] {
  const out = new Set<string>();
  for (const raw of sanDns) {
    const n = normalizeDnsName(raw);
    if (n !== null) out.add(n);
  }
  if (commonName !== null) {
    const n = commonNameAsDnsName(commonName);
    if (n !== null) out.add(n);
  }
  return [...out].sort();
}

/**
 * The same for a stored certificates row (san_dns is a JSON array of strings). A san_dns value that
 * is not such an array contributes nothing rather than failing: the backfill must get through rows
 * written by any earlier version.
 */
export function coveredDnsNamesOfRow(sanDnsJson: string, commonName: string | null): string[] {
  let san: unknown;
  try {
    san = JSON.parse(sanDnsJson);
  } catch {
    san = [];
  }
  const list = Array.isArray(san) ? san.filter((x): x is string => typeof x === 'string') : [];
  return coveredDnsNames(list, commonName);
}
