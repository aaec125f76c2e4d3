import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { startRealLeafLog } from '../helpers/real-leaf-log.js';
import { waitFor } from '../../tools/fixtures/wait.js';
import { startManager, tempDir } from '../helpers/worker-env.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'worker', 'main.ts');

function startCli(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<{ code: number | null; signal: string | null }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CTJP_NAME: '' } });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exited };
}

/** Resolves with the exit, or with null when the process is still running after `ms` (it is then killed). */
async function exitWithin(p: { child: ChildProcess; exited: Promise<{ code: number | null; signal: string | null }> }, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  const result = await Promise.race([p.exited, late]);
  clearTimeout(timer);
  if (result === null) p.child.kill('SIGKILL');
  return result;
}

test('SIGTERM: the worker stops fetching, reports its lease to the termination endpoint and exits within 10 s', async () => {
  const log = await startRealLeafLog({ size: 5000, pageSize: 32 });
  const manager = await startManager([{ name: 'g1', category: 'google', log }], { assignmentSize: 5000 });
  const spool = await tempDir('ctjp-signal-');
  try {
    // Slow pacing keeps the lease mid-range when the signal comes.
    const cli = startCli(['--name', 'carol', '--manager', manager.url, '--spool-dir', spool.dir, '--interval-ms', '200']);
    await waitFor('a lease confirmed past index 100', async () => (await manager.app.db.selectFrom('leases').select('confirmed').where('state', '=', 'active').execute()).some((l) => Number(l.confirmed) > 100));
    cli.child.kill('SIGTERM');
    const result = await exitWithin(cli, 10_000);
    assert.notEqual(result, null, `the worker did not exit within 10 s:\n${cli.output()}`);
    assert.equal(result!.code, 0, cli.output());
    assert.match(cli.output(), /told the manager; 1 lease/);
    const lease = await manager.app.db.selectFrom('leases').select(['state', 'confirmed', 'end_index']).executeTakeFirstOrThrow();
    assert.equal(lease.state, 'terminated');
    assert.ok(Number(lease.confirmed) > 100 && Number(lease.confirmed) < Number(lease.end_index));
    const range = await manager.app.db.selectFrom('ranges').select(['state', 'resume_from']).executeTakeFirstOrThrow();
    assert.equal(range.state, 'resume_waiting');
    assert.equal(Number(range.resume_from), Number(lease.confirmed) + 1);
    const worker = await manager.app.db.selectFrom('workers').select('state').executeTakeFirstOrThrow();
    assert.equal(worker.state, 'stopped');
  } finally {
    await spool.remove();
    await manager.close();
    await log.close();
  }
});

test('a second Ctrl-C exits at once', async () => {
  const spool = await tempDir('ctjp-signal-');
  try {
    // No manager listens here: the worker keeps trying to register, and the first SIGINT starts a stop.
    const cli = startCli(['--name', 'dave', '--manager', 'http://127.0.0.1:9', '--spool-dir', spool.dir]);
    await waitFor('the worker to start', async () => cli.output().includes('ctjp-worker'));
    cli.child.kill('SIGINT');
    await waitFor('the worker to start stopping', async () => cli.output().includes('stopping'));
    cli.child.kill('SIGINT');
    const result = await exitWithin(cli, 10_000);
    assert.notEqual(result, null);
    assert.ok(result!.code === 130 || result!.code === 0, cli.output());
  } finally {
    await spool.remove();
  }
});

test('bad settings are refused with a message naming them', async () => {
  const cli = startCli(['--name', 'erin', '--proxy', 'ftp://nope:2121']);
  const result = await exitWithin(cli, 10_000);
  assert.equal(result?.code, 2);
  assert.match(cli.output(), /proxy "ftp:\/\/nope:2121" has protocol ftp:/);
});
