// Figures the dashboard derives from one GET /api/v1/status answer; pure, so the tests run it in Node.
import type { CategoryStatus, LeaseStatus, LogStatus, StatusResponse, WorkerStatus } from '../../share/api/index.js';

/** The mission's four categories first, in their usual order; any others after them, alphabetically. */
const knownCategories = ['google', 'cloudflare', 'digicert', 'trustasia'];

export interface Coverage {
  total: number;
  done: number;
  running: number;
  waiting: number;
  unassigned: number;
}

/** Splits a log's target range into scanned, handed out but not yet scanned, waiting and never handed out. */
export function coverage(log: LogStatus): Coverage {
  if (log.target_end === null || log.target_end < log.target_start) {
    return { total: 0, done: 0, running: 0, waiting: 0, unassigned: 0 };
  }
  const total = log.target_end - log.target_start + 1;
  const handedOut = clamp(log.handed_out_to - log.target_start + 1, 0, total);
  const done = clamp(log.scanned, 0, total);
  const waiting = clamp(log.resume_waiting_entries, 0, total - done);
  const running = clamp(handedOut - done - waiting, 0, total - done - waiting);
  const unassigned = total - done - waiting - running;
  return { total, done, running, waiting, unassigned };
}

export interface Overview {
  certificates: number;
  sightings: number;
  scanned: number;
  target: number;
  jpShare: number;
  progress: number;
  /** Entries/s the manager counted as confirmed over its "now" window and over the last hour. */
  rateNow: number;
  rateHour: number;
  eta: number | null;
  logs: number;
  logsAvailable: number;
  workersAlive: number;
  workersDead: number;
  workersStopped: number;
}

export function overview(status: StatusResponse): Overview {
  const t = status.totals;
  return {
    certificates: t.certificates,
    sightings: t.sightings,
    scanned: t.scanned_entries,
    target: t.target_entries,
    jpShare: t.scanned_entries > 0 ? t.sightings / t.scanned_entries : Number.NaN,
    progress: t.target_entries > 0 ? Math.min(1, t.scanned_entries / t.target_entries) : 0,
    rateNow: t.rate,
    rateHour: t.rate_last_hour,
    eta: t.eta_s,
    logs: t.logs,
    logsAvailable: t.logs_available,
    workersAlive: t.workers_alive,
    workersDead: t.workers_dead,
    workersStopped: t.workers_stopped,
  };
}

export function categoryOrder(categories: Iterable<string>): string[] {
  const unique = [...new Set(categories)];
  const known = knownCategories.filter((c) => unique.includes(c));
  const others = unique.filter((c) => !knownCategories.includes(c)).sort();
  return [...known, ...others];
}

export interface CategoryGroup {
  category: string;
  logs: LogStatus[];
  certificates: number;
  sightings: number;
  coverage: Coverage;
  /** The manager's figures for the category (its rates are its logs' summed); absent for a category it did not list. */
  rates: Pick<CategoryStatus, 'rate' | 'rate_last_hour' | 'eta_s'>;
  available: number;
}

const NO_RATES = { rate: 0, rate_last_hour: 0, eta_s: null };

export function groupByCategory(logs: readonly LogStatus[], categories: readonly CategoryStatus[] = []): CategoryGroup[] {
  return categoryOrder(logs.map((l) => l.category)).map((category) => {
    const members = logs.filter((l) => l.category === category).sort((a, b) => a.name.localeCompare(b.name));
    const sum: Coverage = { total: 0, done: 0, running: 0, waiting: 0, unassigned: 0 };
    for (const l of members) {
      const c = coverage(l);
      sum.total += c.total;
      sum.done += c.done;
      sum.running += c.running;
      sum.waiting += c.waiting;
      sum.unassigned += c.unassigned;
    }
    const rates = categories.find((c) => c.category === category) ?? NO_RATES;
    return {
      category,
      logs: members,
      certificates: members.reduce((a, l) => a + l.certificates, 0),
      sightings: members.reduce((a, l) => a + l.sightings, 0),
      coverage: sum,
      rates: { rate: rates.rate, rate_last_hour: rates.rate_last_hour, eta_s: rates.eta_s },
      available: members.filter((l) => l.available).length,
    };
  });
}

/** Share of a lease's inclusive range confirmed so far (`confirmed` is start - 1 before the first entry). */
export function leaseProgress(lease: LeaseStatus): number {
  const size = lease.end - lease.start + 1;
  if (size <= 0) return 0;
  return clamp(lease.confirmed - lease.start + 1, 0, size) / size;
}

/** Seconds since the worker's last ping, measured on the manager's clock plus the time since the answer arrived. */
export function pingAgeSeconds(worker: WorkerStatus, generatedAt: string, sinceFetchMs: number): number {
  const age = (Date.parse(generatedAt) - Date.parse(worker.last_ping_at) + sinceFetchMs) / 1000;
  return Number.isFinite(age) ? Math.max(0, age) : Number.NaN;
}

const stateOrder: Record<WorkerStatus['state'], number> = { dead: 0, alive: 1, stopped: 2 };

/** Dead workers first (they need attention), then alive, then stopped; busiest first within each. */
export function sortWorkers(workers: readonly WorkerStatus[]): WorkerStatus[] {
  return [...workers].sort(
    (a, b) =>
      stateOrder[a.state] - stateOrder[b.state] ||
      b.collected - a.collected ||
      a.friend_name.localeCompare(b.friend_name) ||
      a.worker_id.localeCompare(b.worker_id),
  );
}

export interface FriendRank {
  friend: string;
  workers: number;
  alive: number;
  collected: number;
  rate: number;
}

export function friendRanking(workers: readonly WorkerStatus[]): FriendRank[] {
  const byFriend = new Map<string, FriendRank>();
  for (const w of workers) {
    const r = byFriend.get(w.friend_name) ?? { friend: w.friend_name, workers: 0, alive: 0, collected: 0, rate: 0 };
    r.workers += 1;
    if (w.state === 'alive') {
      r.alive += 1;
      r.rate += w.leases.reduce((a, l) => a + l.rate, 0);
    }
    r.collected += w.collected;
    byFriend.set(w.friend_name, r);
  }
  return [...byFriend.values()].sort((a, b) => b.collected - a.collected || b.rate - a.rate || a.friend.localeCompare(b.friend));
}

export type DailyMetric = 'sightings' | 'certificates';

export interface DailyPivot {
  days: string[];
  logs: string[];
  /** values[logIndex][dayIndex] */
  values: number[][];
  dayTotals: number[];
  logTotals: number[];
}

/** Day × log table of the daily counts; days ascending, logs by category then name, logs without counts left out. */
export function dailyPivot(status: StatusResponse, metric: DailyMetric): DailyPivot {
  const days = [...new Set(status.daily.map((d) => d.day))].sort();
  const categoryOf = new Map(status.logs.map((l) => [l.name, l.category]));
  const order = categoryOrder(status.logs.map((l) => l.category));
  const rank = (name: string) => {
    const i = order.indexOf(categoryOf.get(name) ?? '');
    return i < 0 ? order.length : i;
  };
  const present = [...new Set(status.daily.filter((d) => d[metric] > 0).map((d) => d.log_name))];
  const logs = present.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const dayIndex = new Map(days.map((d, i) => [d, i]));
  const logIndex = new Map(logs.map((l, i) => [l, i]));
  const values = logs.map(() => days.map(() => 0));
  for (const row of status.daily) {
    const li = logIndex.get(row.log_name);
    const di = dayIndex.get(row.day);
    if (li !== undefined && di !== undefined) values[li]![di]! += row[metric];
  }
  const dayTotals = days.map((_, di) => values.reduce((a, v) => a + v[di]!, 0));
  const logTotals = values.map((v) => v.reduce((a, x) => a + x, 0));
  return { days, logs, values, dayTotals, logTotals };
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}
