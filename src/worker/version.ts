// The worker's version, sent to the manager with every request and shown in --version.
import pkg from '../../package.json' with { type: 'json' };

export const WORKER_VERSION: string = pkg.version;

const printable = (s: string): string => s.replace(/[^\x20-\x7e]/g, '?').replace(/[()]/g, '');

/**
 * Descriptive User-Agent for CT log operators: what this is, whom to contact, which friend runs it.
 * Log operators throttle anonymous clients (Geomys' logs share one small limit among clients whose
 * User-Agent names no e-mail or https URL), so the contact comes first.
 */
export function userAgent(friendName: string, contact: string | null = null): string {
  const who = [contact ? `+${printable(contact)}` : null, `friend ${printable(friendName)}`].filter(Boolean).join('; ');
  return `ctjp-worker/${WORKER_VERSION} (${who})`;
}
