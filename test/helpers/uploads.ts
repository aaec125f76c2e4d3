/** Upload items made from a test log's own leaves, as a worker would send them. */
import { parseLeaf } from '../../src/share/x509/index.js';
import type { UploadItem } from '../../src/share/api/index.js';

/** Indexes of the leaves that cover a .jp name (the only ones a worker uploads), or, with false, of those that do not. */
export function indexesCoveringJp(leaves: readonly Buffer[], coversJp = true): number[] {
  return leaves.flatMap((l, i) => (parseLeaf(l).coversJp === coversJp ? [i] : []));
}

/** The item for one index of the log, in one lease; the leaf may be replaced (a liar's, a damaged one). */
export function uploadItem(log: { name: string; url: string; leaves: readonly Buffer[] }, leaseId: number, index: number, leaf: Buffer = log.leaves[index], friendName = 'alice'): UploadItem {
  return { leaf_input: leaf.toString('base64'), ct_log_url: log.url, log_name: log.name, friend_name: friendName, index, lease_id: leaseId };
}
