/** The logs table: catalogue sync, tree heads, availability and target ranges. */
import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import type { Trx } from '../../db/transaction.js';
import type { LogRow } from '../../db/tables.js';
import { checkpointOrigin, type Catalogue, type ReadFrom } from '../../share/logs/catalogue.js';

/**
 * Insert or update every catalogue log (a changed entry updates its row: URL, key, api, submission
 * URL and origin, data tiles, temporal interval, shut-down mark); logs no longer in the catalogue
 * stop getting work. A catalogue `page_size` or `min_interval_ms` is written too (the planner then
 * probes no page size, and an admin's slow-down of that log lasts until the next sync); where the
 * catalogue gives none, the column keeps what the planner probed or the admin set.
 */
export async function syncCatalogue(db: Db, catalogue: Catalogue): Promise<void> {
  for (const log of catalogue.logs) {
    const columns = {
      ...(log.pageSize !== null ? { page_size: log.pageSize } : {}),
      ...(log.minIntervalMs !== null ? { min_interval_ms: log.minIntervalMs } : {}),
      category: log.category,
      url: log.url,
      api: log.api,
      submission_url: log.submissionUrl,
      checkpoint_origin: checkpointOrigin(log),
      data_tiles: log.dataTiles ? 1 : 0,
      temporal_interval_start: log.temporalInterval?.start ?? null,
      temporal_interval_end: log.temporalInterval?.end ?? null,
      public_key: log.key,
      in_catalogue: 1,
      shut_down: log.shutDown ? 1 : 0,
      mirrors: log.mirrors.length > 0 ? JSON.stringify(log.mirrors) : null,
      archives: log.archives.length > 0 ? JSON.stringify(log.archives) : null,
      final_tree_size: log.finalTreeHead?.treeSize ?? null,
      final_root_hash: log.finalTreeHead?.rootHash ?? null,
    };
    await db
      .insertInto('logs')
      .values({ name: log.name, ...columns })
      .onDuplicateKeyUpdate(columns)
      .execute();
  }
  await db
    .updateTable('logs')
    .set({ in_catalogue: 0 })
    .where(
      'name',
      'not in',
      catalogue.logs.map((l) => l.name),
    )
    .execute();
}

/** Part of a window target's note while the tree ends inside the window: the target grows with the tree. */
export const GROWING_WINDOW_NOTE = 'tree ends inside the widened window';

export async function catalogueLogs(db: Db): Promise<LogRow[]> {
  return db.selectFrom('logs').selectAll().where('in_catalogue', '=', 1).orderBy('id').execute();
}

export async function logsDueForCheck(db: Db, now: Date): Promise<LogRow[]> {
  return db
    .selectFrom('logs')
    .selectAll()
    .where('in_catalogue', '=', 1)
    .where((eb) => eb.or([eb('next_check_at', 'is', null), eb('next_check_at', '<=', now)]))
    .orderBy('id')
    .execute();
}

export async function markUnavailable(db: Db, id: number, error: string, now: Date, nextCheckAt: Date): Promise<void> {
  await db.updateTable('logs').set({ available: 0, last_error: error.slice(0, 1000), checked_at: now, next_check_at: nextCheckAt }).where('id', '=', id).execute();
}

/** Where a log was read from at its last check. */
export interface ReadPlace {
  from: ReadFrom;
  /** The mirror's base URL or the archive's first zip; null for the origin. */
  url: string | null;
  /** The archive's zip URLs (from: 'archive'). */
  archives: string[] | null;
}

/**
 * Record a verified tree head and where it was read; the stored tree size never goes backwards
 * (lagging replicas), and the root kept is that of the largest tree head.
 */
export async function recordTreeHead(db: Db, id: number, sth: { treeSize: number; timestamp: number; rootHash: Uint8Array }, place: ReadPlace, now: Date, nextCheckAt: Date): Promise<void> {
  const { treeSize, timestamp } = sth;
  const root = Buffer.from(sth.rootHash).toString('base64');
  await db
    .updateTable('logs')
    .set((eb) => ({
      // Before tree_size: MariaDB assigns left to right, and this compares with the old size.
      root_hash: sql<string>`IF(${treeSize} >= COALESCE(tree_size, 0), ${root}, root_hash)`,
      read_from: place.from,
      read_url: place.url,
      read_archives: place.archives ? JSON.stringify(place.archives) : null,
      available: 1,
      last_error: null,
      checked_at: now,
      next_check_at: nextCheckAt,
      tree_size: eb.fn('greatest', [eb.fn.coalesce('tree_size', eb.val(0)), eb.val(treeSize)]),
      sth_timestamp: eb.fn('greatest', [eb.fn.coalesce('sth_timestamp', eb.val(0)), eb.val(timestamp)]),
    }))
    .where('id', '=', id)
    .execute();
}

export async function setPageSize(db: Db, id: number, pageSize: number): Promise<void> {
  await db.updateTable('logs').set({ page_size: pageSize }).where('id', '=', id).execute();
}

/**
 * Set a log's target range. Work already handed out stays handed out:
 * next_index never moves back, and never starts before the target.
 */
export async function setTarget(db: Db, id: number, target: { start: number; end: number; mode: string; note: string }): Promise<void> {
  await db
    .updateTable('logs')
    .set((eb) => ({
      target_start: target.start,
      target_end: target.end,
      target_mode: target.mode,
      target_note: target.note.slice(0, 1000),
      next_index: eb.fn('greatest', ['next_index', eb.val(target.start)]),
    }))
    .where('id', '=', id)
    .execute();
}

export async function setMinInterval(db: Db, name: string, minIntervalMs: number | null): Promise<boolean> {
  const row = await db.selectFrom('logs').select('id').where('name', '=', name).executeTakeFirst();
  if (!row) return false;
  await db.updateTable('logs').set({ min_interval_ms: minIntervalMs }).where('id', '=', row.id).execute();
  return true;
}

/** The categories of the catalogue's logs, in order. */
export async function catalogueCategories(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('logs').select('category').distinct().where('in_catalogue', '=', 1).orderBy('category').execute();
  return rows.map((r) => r.category);
}

/**
 * Is there a log in the catalogue that may yield work: fresh or resume-waiting ranges, an uncut part
 * of its target, no target yet, or a window target its tree has not reached the end of? A log the
 * catalogue marks shut down counts only while it answers.
 */
export async function someLogHasWorkToCome(db: Db): Promise<boolean> {
  const log = await db
    .selectFrom('logs')
    .select('logs.id')
    .where('logs.in_catalogue', '=', 1)
    .where((eb) => eb.or([eb('logs.shut_down', '=', 0), eb('logs.available', '=', 1)]))
    .where((eb) =>
      eb.or([
        eb('logs.target_end', 'is', null),
        eb('logs.next_index', '<=', eb.ref('logs.target_end')),
        eb('logs.target_note', 'like', `%${GROWING_WINDOW_NOTE}%`),
        eb.exists(eb.selectFrom('ranges').select('ranges.id').where('ranges.state', 'in', ['resume_waiting', 'fresh']).whereRef('ranges.log_id', '=', 'logs.id')),
      ]),
    )
    .limit(1)
    .executeTakeFirst();
  return log !== undefined;
}

/** A log's name and the tree head the manager holds for it. */
export async function storedTreeHead(q: Db | Trx, id: number): Promise<Pick<LogRow, 'name' | 'tree_size' | 'root_hash'>> {
  return q.selectFrom('logs').select(['name', 'tree_size', 'root_hash']).where('id', '=', id).executeTakeFirstOrThrow();
}
