/**
 * Two demos on one MariaDB database: the second must refuse before it empties anything, with a
 * message naming the database, while the first keeps running; the first prints the analyze command
 * with its own --db when it starts and when it stops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { dropTestDatabase, testDatabaseUrl } from '../../tools/fixtures/database.js';
import { waitFor } from '../../tools/fixtures/wait.js';

const ROOT = join(import.meta.dirname, '..', '..');

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

function startDemo(dbUrl: string, port: number): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tools', 'demo.ts'), '--size', '100', '--growth', '0', '--port', String(port), '--db', dbUrl], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

test('a second demo on the same database refuses to start and wipes nothing', async () => {
  const dbUrl = testDatabaseUrl('ctjp_demo_test');
  const dbName = new URL(dbUrl).pathname.slice(1);
  const first = startDemo(dbUrl, await freePort());
  try {
    await waitFor('the first demo to start', () => first.output().includes('dashboard:'), 240_000);
    assert.ok(first.output().includes(`npm run analyze -- --db ${dbUrl} --out`), 'the start says the analyze command with the demo database');
    const port = Number(/127\.0\.0\.1:(\d+)\//.exec(first.output())![1]);
    const statusOk = async () => (await fetch(`http://127.0.0.1:${port}/api/v1/status`, { signal: AbortSignal.timeout(10_000) })).ok;

    const second = startDemo(dbUrl, await freePort());
    const code = await second.exited;
    assert.equal(code, 1, second.output());
    assert.match(second.output(), new RegExp(`another demo is running on database ${dbName}.*nothing was changed`));
    assert.doesNotMatch(second.output(), /starting 7 test CT logs/, 'refused before starting anything');

    // The first demo's manager still answers from its database.
    assert.ok(await statusOk());
    assert.equal(first.child.exitCode, null, 'the first demo is still running');

    first.child.kill('SIGINT');
    assert.equal(await first.exited, 0, first.output());
    assert.match(first.output(), /demo stopped\./);
    assert.equal(first.output().split(`npm run analyze -- --db ${dbUrl}`).length - 1 >= 2, true, 'the stop repeats the analyze command');
  } finally {
    if (first.child.exitCode === null && first.child.signalCode === null) {
      first.child.kill('SIGTERM');
      await first.exited;
    }
    await dropTestDatabase(dbUrl);
    rmSync(join(ROOT, 'tmp', 'demo', dbName), { recursive: true, force: true });
  }
});
