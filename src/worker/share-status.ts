/**
 * What the worker learns from the manager's public status (GET /api/v1/status) and nothing else
 * tells it: every category (lane) the manager serves, so all lanes are shown from the start; how
 * much of each category's target is left, for an ETA of the whole share rather than of one range;
 * why a category has no work; and when a log's whole target is scanned. Instructions and pings
 * carry none of this, and the status is public, so the worker reads it now and then instead of
 * widening the worker API. Only per-log fields that every manager version has are used.
 */
import type { LogStatus } from '../share/api/index.js';

export type LogTargetStatus = Pick<LogStatus, 'name' | 'category' | 'available' | 'shut_down' | 'target_start' | 'target_end' | 'scanned'>;

/** Entries of the log's target not scanned yet; null while the log has no target (not planned yet). */
export function logRemaining(l: LogTargetStatus): number | null {
  if (l.target_end === null) return null;
  const target = Math.max(0, l.target_end - l.target_start + 1);
  return target - Math.min(target, Math.max(0, l.scanned));
}

export interface CategoryShare {
  category: string;
  /** Σ over the category's planned logs of (target entries − scanned). */
  remaining: number;
  /** Logs without a target yet (their tree head was never read). */
  unplanned: string[];
  /** Logs with work left that do not answer for the moment. */
  unavailable: string[];
}

/** The status's logs summed per category, categories in name order. */
export function categoryShares(logs: readonly LogTargetStatus[]): Map<string, CategoryShare> {
  const out = new Map<string, CategoryShare>();
  for (const l of [...logs].sort((a, b) => a.category.localeCompare(b.category) || a.name.localeCompare(b.name))) {
    const c = out.get(l.category) ?? { category: l.category, remaining: 0, unplanned: [], unavailable: [] };
    out.set(l.category, c);
    const left = logRemaining(l);
    // A shut-down log that does not answer will never yield work (docs/manager-api.md, "Idle").
    if (l.shut_down && !l.available) continue;
    if (left === null) c.unplanned.push(l.name);
    else {
      c.remaining += left;
      if (left > 0 && !l.available) c.unavailable.push(l.name);
    }
  }
  return out;
}

function names(list: string[]): string {
  return list.length <= 3 ? list.join(', ') : `${list.slice(0, 3).join(', ')} and ${list.length - 3} more`;
}

/**
 * Why the manager gave a category nothing, in words for the friend. `idle` is the instructions
 * answer's flag: the manager says so only when no work can appear any more. Without it, the status
 * tells the likely reason; without a status, the reasons are only listed.
 */
export function noWorkReason(idle: boolean, share: CategoryShare | undefined): string {
  if (idle) return 'the collection is finished: every log’s target is scanned';
  if (!share) return 'nothing to hand out right now (ranges handed out to other workers, or logs not answering); asking again every minute';
  const why: string[] = [];
  if (share.unplanned.length > 0) why.push(`${names(share.unplanned)} not planned yet (the manager has not read ${share.unplanned.length > 1 ? 'their' : 'its'} tree head)`);
  if (share.unavailable.length > 0) why.push(`${names(share.unavailable)} not answering for the moment`);
  if (why.length > 0) return `${why.join('; ')}; asking again every minute`;
  if (share.remaining === 0) return 'this category’s target is scanned; other categories still have work';
  return 'all its ranges are handed out to other workers; waiting for one to come back or for new entries (asking again every minute)';
}
