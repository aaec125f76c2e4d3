/**
 * `npm run manager` entry point: serve, or manage tokens
 * (`token issue --name <friend> [--admin]`, `token list`, `token revoke --name <friend>`).
 */
import { ConfigError, USAGE, parseManagerArgs } from './config.js';
import { openDatabase } from '../db/connect.js';
import { issueToken, listTokens, revokeTokens } from './repositories/tokens.js';
import { serve } from './server.js';
import { NAME_MAX } from '../share/api/index.js';

/** A friend's name as one shell word, for the hint to be pasted as is. */
function shellQuote(s: string): string {
  return /^[A-Za-z0-9._-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

async function tokenCommand(dbUrl: string, action: string | undefined, name: string | undefined, admin: boolean): Promise<void> {
  const db = await openDatabase(dbUrl, 2);
  try {
    if (action === 'issue' || action === 'revoke') {
      if (!name || name.length > NAME_MAX || [...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new ConfigError(`token ${action} needs --name <friend> (1-${NAME_MAX} characters)`);
    }
    if (action === 'issue') {
      const token = await issueToken(db, name!, admin);
      process.stdout.write(`${token}\n`);
      // The manager does not know the address friends reach it at (behind a TLS proxy), so the hint says where it goes.
      process.stderr.write(
        `Token for ${name}${admin ? ' (admin)' : ''}: give it to them once; only its SHA-256 is stored.\n` +
          `Worker: node ctjp-worker.mjs --name ${shellQuote(name!)} --manager '<manager URL>' --token ${token}\n` +
          `   (or: CTJP_TOKEN=${token} npm run worker -- --name ${shellQuote(name!)} --manager '<manager URL>')\n` +
          `Replace <manager URL> with the address friends reach this manager at, e.g. https://ctjp.example.org.\n`,
      );
    } else if (action === 'list') {
      for (const t of await listTokens(db)) {
        process.stdout.write(`${t.id}\t${t.friend_name}\t${t.is_admin ? 'admin' : 'worker'}\tcreated ${new Date(t.created_at).toISOString()}\t${t.revoked_at ? `revoked ${new Date(t.revoked_at).toISOString()}` : 'active'}\n`);
      }
    } else if (action === 'revoke') {
      const n = await revokeTokens(db, name!, new Date());
      process.stdout.write(`revoked ${n} token(s) of ${name}\n`);
    } else {
      throw new ConfigError(`unknown token command "${action ?? ''}": use issue, list or revoke`);
    }
  } finally {
    await db.destroy();
  }
}

async function main(): Promise<void> {
  const { config, positionals, values } = parseManagerArgs(process.argv.slice(2));
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (positionals[0] === 'token') {
    await tokenCommand(config.dbUrl, positionals[1], values.name as string | undefined, values.admin === true);
    return;
  }
  if (positionals.length > 0) throw new ConfigError(`unknown command "${positionals.join(' ')}"`);
  await serve(config);
}

main().catch((err) => {
  if (err instanceof ConfigError || (err as Error).name === 'CatalogueError') {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
