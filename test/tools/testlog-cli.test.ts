/** `npm run testlog`: flags over CTJP_TESTLOG_* variables, fault flags per log, and a real start and stop. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { parseCli } from '../../tools/testlog/cli.js';
import type { TestLogSpec } from '../../tools/testlog/index.js';

test('flags win over CTJP_TESTLOG_* variables', () => {
  const o = parseCli(['--size', '700', '--logs', 'argon-test,digicert/wyvern-test'], { CTJP_TESTLOG_SIZE: '50', CTJP_TESTLOG_SEED: 'envseed', CTJP_TESTLOG_PORT: '8123' });
  assert.notEqual(o, 'help');
  if (o === 'help') return;
  assert.equal(o.size, 700);
  assert.equal(o.seed, 'envseed');
  assert.equal(o.port, 8123);
  assert.deepEqual(o.logs!.map((l) => (typeof l === 'string' ? l : l.name)), ['argon-test', 'wyvern-test']);
});

test('fault flags apply to every log or, with LOG=, to one', () => {
  const o = parseCli(['--logs', 'argon-test,wyvern-test', '--error-rate', '0.1', '--error-rate', 'wyvern-test=0.3', '--rate-limit', 'wyvern-test=0.2/2', '--retry-after', 'wyvern-test=off', '--latency', '10-50', '--grow', 'argon-test=5', '--stale-rate', 'argon-test=0.2', '--drop-rate', '0.01'], {});
  if (o === 'help') throw new Error('unexpected help');
  const [argon, wyvern] = o.logs as TestLogSpec[];
  assert.deepEqual(argon.faults, { errorRate: 0.1, latencyMs: [10, 50], dropRate: 0.01, growthPerSecond: 5, staleSthRate: 0.2 });
  assert.deepEqual(wyvern.faults, { errorRate: 0.3, latencyMs: [10, 50], dropRate: 0.01, rateLimit: { perSecond: 0.2, burst: 2, retryAfter: false } });
});

test('bad flags are refused with a message naming the flag', () => {
  assert.throws(() => parseCli(['--size', 'many'], {}), /--size/);
  assert.throws(() => parseCli(['--logs', 'nope'], {}), /--logs: unknown log "nope"/);
  assert.throws(() => parseCli(['--error-rate', 'nope-test=0.1'], {}), /--error-rate: no served log named "nope-test"/);
  assert.throws(() => parseCli(['--latency', 'slow'], {}), /--latency/);
  assert.throws(() => parseCli(['--retry-after', 'maybe'], {}), /--retry-after/);
  assert.throws(() => parseCli(['--what'], {}), /what/);
  assert.equal(parseCli(['--help'], {}), 'help');
});

test('the command serves the logs until SIGTERM', async () => {
  const out = mkdtempSync(join(tmpdir(), 'ctjp-testlog-cli-'));
  const root = resolve(import.meta.dirname, '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', 'tools/testlog/cli.ts', '--size', '400', '--logs', 'hetu-test', '--out', out], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let stdout = '';
    const ready = await new Promise<string>((resolveUrl, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /ready in \d+ ms at (http:\/\/\S+)/.exec(stdout);
        if (m) resolveUrl(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`testlog exited early with ${code}: ${stdout}`)));
    });
    const cat = JSON.parse(readFileSync(join(out, 'logs.json'), 'utf8')) as { logs: { url: string }[] };
    assert.equal(cat.logs[0].url, `${ready}/trustasia/hetu-test/`);
    const sth = (await (await fetch(`${cat.logs[0].url}ct/v1/get-sth`)).json()) as { tree_size: number };
    assert.ok(sth.tree_size >= 400);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(out, { recursive: true, force: true });
  }
});
