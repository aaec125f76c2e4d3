/** The audit figures of the status report: second-scan costs, audits by state, unproven ranges and quarantine, per log. */
import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import { involvedIn, mayTake } from './audits.js';

export interface LogAuditFigures {
  auditedEntries: number;
  rescannedEntries: number;
  pendingAudits: number;
  waitingForFriend: number;
  confirmedAudits: number;
  disputes: number;
  disputesSettled: number;
  disputesUnresolved: number;
  unprovenRanges: number;
  unprovenEntries: number;
  givenUp: { start: number; end: number; reason: string }[];
  quarantinedCertificates: number;
  quarantinedSightings: number;
}

export const NO_AUDIT_FIGURES: Readonly<LogAuditFigures> = {
  auditedEntries: 0,
  rescannedEntries: 0,
  pendingAudits: 0,
  waitingForFriend: 0,
  confirmedAudits: 0,
  disputes: 0,
  disputesSettled: 0,
  disputesUnresolved: 0,
  unprovenRanges: 0,
  unprovenEntries: 0,
  givenUp: [],
  quarantinedCertificates: 0,
  quarantinedSightings: 0,
};

const GIVEN_UP_LISTED = 20;

/** Per log id: second-scan costs, audits by state, unproven ranges and quarantine, from small indexed reads. */
export async function auditFigures(db: Db): Promise<Map<number, LogAuditFigures>> {
  const [twice, byState, unproven, waiting, givenUp, qSightings, qCertificates, alive] = await Promise.all([
    db
      .selectFrom('leases')
      .select(['log_id', 'kind', sql<number>`SUM(end_index - start_index + 1)`.as('entries')])
      .where('kind', 'in', ['audit', 'rescan'])
      .where('state', '=', 'completed')
      .groupBy(['log_id', 'kind'])
      .execute(),
    db
      .selectFrom('audits')
      .select(['log_id', 'kind', 'state', 'stage', sql<number>`COUNT(*)`.as('n')])
      .groupBy(['log_id', 'kind', 'state', 'stage'])
      .execute(),
    db
      .selectFrom('audits')
      .select(['log_id', sql<number>`COUNT(*)`.as('n'), sql<number>`SUM(end_index - start_index + 1)`.as('entries')])
      .where('proven', '=', 0)
      .where('state', 'not in', ['confirmed', 'settled'])
      .groupBy('log_id')
      .execute(),
    db.selectFrom('audits').selectAll().where('state', '=', 'waiting').orderBy('id').limit(5000).execute(),
    db.selectFrom('audits').select(['log_id', 'start_index', 'end_index', 'note']).where('state', '=', 'given_up').orderBy('id', 'desc').limit(1000).execute(),
    db.selectFrom('sightings').select(['log_id', sql<number>`COUNT(*)`.as('n')]).where('quarantined', '=', 1).groupBy('log_id').execute(),
    db
      .selectFrom('certificates')
      .innerJoin('logs', 'logs.name', 'certificates.log_name')
      .select(['logs.id as log_id', sql<number>`COUNT(*)`.as('n')])
      .where('certificates.quarantined', '=', 1)
      .groupBy('logs.id')
      .execute(),
    db.selectFrom('workers').select(['id', 'friend_name']).where('state', '=', 'alive').where('flagged_at', 'is', null).execute(),
  ]);
  const out = new Map<number, LogAuditFigures>();
  const of = (logId: number): LogAuditFigures => {
    let f = out.get(logId);
    if (!f) out.set(logId, (f = { ...NO_AUDIT_FIGURES, givenUp: [] }));
    return f;
  };
  for (const t of twice) {
    if (t.kind === 'audit') of(t.log_id).auditedEntries += Number(t.entries);
    else of(t.log_id).rescannedEntries += Number(t.entries);
  }
  for (const s of byState) {
    const f = of(s.log_id);
    const n = Number(s.n);
    const open = s.state === 'waiting' || s.state === 'leased' || s.state === 'held';
    if (s.kind === 'audit' && open && s.stage === 2) f.pendingAudits += n;
    if (s.kind === 'audit' && open && s.stage === 3) f.disputes += n;
    if (s.state === 'confirmed') f.confirmedAudits += n;
    if (s.state === 'settled') f.disputesSettled += n;
    if (s.state === 'unresolved') f.disputesUnresolved += n;
  }
  for (const u of unproven) {
    of(u.log_id).unprovenRanges += Number(u.n);
    of(u.log_id).unprovenEntries += Number(u.entries);
  }
  // Waiting second scans no alive worker may take: judged as a claim would judge them, for every alive worker.
  const involved = await involvedIn(db, waiting);
  const aliveSet = new Set(alive.map((a) => a.friend_name));
  for (const a of waiting) {
    const inv = involved.get(a.id) ?? [];
    if (!alive.some((w) => mayTake(a.kind, inv, w, aliveSet))) of(a.log_id).waitingForFriend++;
  }
  for (const g of givenUp) {
    const f = of(g.log_id);
    if (f.givenUp.length < GIVEN_UP_LISTED) f.givenUp.push({ start: Number(g.start_index), end: Number(g.end_index), reason: g.note ?? 'given up' });
  }
  for (const q of qSightings) of(q.log_id).quarantinedSightings += Number(q.n);
  for (const q of qCertificates) of(q.log_id).quarantinedCertificates += Number(q.n);
  return out;
}

/** Quarantined sightings per worker id (of flagged workers; others have none). */
export async function quarantinedByWorker(db: Db): Promise<Map<number, number>> {
  const rows = await db.selectFrom('sightings').select(['worker_id', sql<number>`COUNT(*)`.as('n')]).where('quarantined', '=', 1).groupBy('worker_id').execute();
  return new Map(rows.flatMap((r) => (r.worker_id === null ? [] : [[Number(r.worker_id), Number(r.n)] as const])));
}
