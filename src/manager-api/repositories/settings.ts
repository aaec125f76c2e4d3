/** Manager-wide settings that travel to workers as directives. */
import type { Db } from '../db/connect.js';
import type { Directives } from '../../share/api/index.js';
import { UPLOAD_MAX_ITEMS } from '../../share/api/index.js';

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
  return {
    paused: get('paused') === '1',
    min_worker_version: get('min_worker_version'),
    ping_interval_s: pingIntervalS,
    upload_max_items: UPLOAD_MAX_ITEMS,
    contact,
    slow_logs: slow.map((s) => ({ log_name: s.name, min_interval_ms: s.min_interval_ms ?? 0 })),
  };
}

/** Compare dotted versions numerically (1.10.0 > 1.9.3); non-numeric parts compare as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/);
  const pb = b.split(/[.+-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    const c = !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : x.localeCompare(y);
    if (c !== 0) return Math.sign(c);
  }
  return 0;
}
