/** Manager-wide settings that travel to workers as directives. */
import type { Db } from '../../db/connect.js';
import type { Directives } from '../../share/api/index.js';
import { UPLOAD_MAX_ITEMS } from '../../share/api/index.js';
import { coerceVersion } from '../../share/version.js';

export async function getSetting(db: Db, name: string): Promise<string | null> {
  const row = await db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst();
  return row?.value ?? null;
}

export async function setSetting(db: Db, name: string, value: string | null): Promise<void> {
  if (value === null) {
    await db.deleteFrom('settings').where('name', '=', name).execute();
    return;
  }
  await db.insertInto('settings').values({ name, value }).onDuplicateKeyUpdate({ value }).execute();
}

/** Current directives: global settings plus per-log slow-downs. */
export async function loadDirectives(db: Db, pingIntervalS: number, contact: string | null = null): Promise<Directives> {
  const [settings, slow] = await Promise.all([
    db.selectFrom('settings').select(['name', 'value']).where('name', 'in', ['paused', 'min_worker_version']).execute(),
    db.selectFrom('logs').select(['name', 'min_interval_ms']).where('min_interval_ms', 'is not', null).execute(),
  ]);
  const get = (n: string) => settings.find((s) => s.name === n)?.value ?? null;
  const minimum = get('min_worker_version');
  return {
    paused: get('paused') === '1',
    // A minimum stored before minimums were checked ("0.2") is read as the version it stood for (0.2.0).
    min_worker_version: minimum === null ? null : coerceVersion(minimum),
    ping_interval_s: pingIntervalS,
    upload_max_items: UPLOAD_MAX_ITEMS,
    contact,
    slow_logs: slow.map((s) => ({ log_name: s.name, min_interval_ms: s.min_interval_ms ?? 0 })),
  };
}
