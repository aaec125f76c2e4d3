/**
 * Worker credentials: random 256-bit tokens, stored as SHA-256 only. A fast
 * hash suffices because the token is random, not a password.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../db/connect.js';
import type { TokenRow } from '../../db/tables.js';

export const hashToken = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

export async function issueToken(db: Db, friendName: string, isAdmin: boolean): Promise<string> {
  const token = `ctjp_${randomBytes(32).toString('base64url')}`;
  await db.insertInto('tokens').values({ friend_name: friendName, token_sha256: hashToken(token), is_admin: isAdmin ? 1 : 0 }).execute();
  return token;
}

export async function findToken(db: Db, token: string): Promise<TokenRow | undefined> {
  return db.selectFrom('tokens').selectAll().where('token_sha256', '=', hashToken(token)).where('revoked_at', 'is', null).executeTakeFirst();
}

/** Note when a token was last used. */
export async function touchToken(db: Db, id: number, now: Date): Promise<void> {
  await db.updateTable('tokens').set({ last_used_at: now }).where('id', '=', id).execute();
}

export async function listTokens(db: Db): Promise<Pick<TokenRow, 'id' | 'friend_name' | 'is_admin' | 'created_at' | 'revoked_at' | 'last_used_at'>[]> {
  return db.selectFrom('tokens').select(['id', 'friend_name', 'is_admin', 'created_at', 'revoked_at', 'last_used_at']).orderBy('id').execute();
}

export async function revokeTokens(db: Db, friendName: string, now: Date): Promise<number> {
  const res = await db.updateTable('tokens').set({ revoked_at: now }).where('friend_name', '=', friendName).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(res.numUpdatedRows);
}
