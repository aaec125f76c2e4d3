/**
 * A lease's proof verdict, from the verdicts of the scans that covered it.
 */
import type { LeaseVerification } from '../share/api/index.js';
import { VERIFICATION_REASON_MAX } from '../share/api/limits.js';
import type { RangeVerification } from '../share/ct/index.js';

/**
 * The verdict for a whole lease [start, end] from the verdicts of its scans
 * (a scan restarts from the confirmed position after a log outage, so scans
 * may overlap): failed when any scan failed; verified when verified scans
 * cover every index; otherwise unverified.
 */
export function leaseVerification(start: number, end: number, scans: readonly RangeVerification[]): LeaseVerification {
  const failed = scans.find((s) => s.state === 'failed');
  if (failed) return { state: 'failed', reason: clip(`${failed.start}-${failed.end}: ${failed.reason}`) };
  const verified = scans.flatMap((s) => (s.state === 'verified' ? [s] : [])).sort((a, b) => a.start - b.start);
  let covered = start - 1;
  for (const s of verified) if (s.start <= covered + 1) covered = Math.max(covered, s.end);
  if (covered >= end) {
    return { state: 'verified', tree_size: Math.max(...verified.map((s) => s.treeSize)), signed: verified.every((s) => s.signed) };
  }
  const why = scans.find((s) => s.state === 'unverified');
  return { state: 'unverified', reason: clip(why?.state === 'unverified' ? why.reason : `entries ${covered + 1}-${end} were not proven`) };
}

const clip = (s: string): string => (s.length > VERIFICATION_REASON_MAX ? `${s.slice(0, VERIFICATION_REASON_MAX - 1)}…` : s);
