/**
 * Interop with a real CT monitor: certspotter (SSLMate) downloads every test
 * log through a v3 log list, checks the signed tree heads and the Merkle
 * trees, and with a `.jp` watchlist finds exactly the expected certificates,
 * on well-behaved logs and on logs with every transient fault switched on.
 *
 * certspotter counts a precertificate and its final certificate as two
 * findings, each reported once (by SHA-256 of the DER) at the first log entry
 * it met; the comparison below is on those terms.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startTestLogs, type StartOptions, type TestLogs } from '../../tools/testlog/index.js';

const TIMEOUT_MS = 180_000;

interface Finding {
  sha256: string;
  dnsNames: string[];
  index: number;
  logUrl: string;
}

interface LogStateFile {
  download_position?: { size: number };
  /** null until the first tree head is verified. */
  verified_sth?: { tree_size: number; sha256_root_hash: string } | null;
}

function parseFindings(stdout: string): Finding[] {
  const out: Finding[] = [];
  for (const block of stdout.split(/\n(?=[0-9a-f]{64}:\n)/)) {
    const head = /^([0-9a-f]{64}):\n/.exec(block.trimStart());
    if (!head) continue;
    const field = (name: string): string[] => [...block.matchAll(new RegExp(`^\\s*${name} = (.*)$`, 'gm'))].map((m) => m[1].trim());
    const entry = /^(\d+) @ (\S+)$/.exec(field('Log Entry')[0] ?? '');
    assert.ok(entry, `a Log Entry line in:\n${block}`);
    out.push({ sha256: head[1], dnsNames: field('DNS Name'), index: Number(entry[1]), logUrl: entry[2] });
  }
  return out;
}

/**
 * Run certspotter against the logs until it has caught up with every log: a verified tree
 * head, entries downloaded at least that far, no tree head waiting (certspotter runs as a
 * daemon, so it is stopped then). With stale tree heads this may be short of the full tree,
 * as certspotter fetches a new head only every few minutes.
 */
async function runCertspotter(tl: TestLogs): Promise<{ stdout: string; stderr: string; states: Map<string, LogStateFile> }> {
  const probe = spawnSync('certspotter', ['-version'], { encoding: 'utf8' });
  assert.ok(!probe.error, `certspotter is not installed (${probe.error?.message}); install it with: apt-get install -y certspotter (.ci/run does this)`);
  const work = mkdtempSync(join(tmpdir(), 'ctjp-certspotter-'));
  const stateDir = join(work, 'state');
  const watchlist = join(work, 'watchlist');
  writeFileSync(watchlist, '.jp\n');
  const child = spawn('certspotter', ['-logs', tl.logListPath, '-watchlist', watchlist, '-state_dir', stateDir, '-stdout', '-verbose'], {
    env: { ...process.env, HOME: work, CERTSPOTTER_CONFIG_DIR: join(work, 'config') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // certspotter names each log's folder by its log ID in unpadded base64url.
  const logDir = (logId: string): string => join(stateDir, 'logs', Buffer.from(logId, 'base64').toString('base64url'));
  const readState = (logId: string): LogStateFile | null => {
    try {
      return JSON.parse(readFileSync(join(logDir(logId), 'state.json'), 'utf8')) as LogStateFile;
    } catch {
      return null; // not there yet, or being rewritten
    }
  };
  try {
    const deadline = Date.now() + TIMEOUT_MS;
    const states = new Map<string, LogStateFile>();
    const done = (): boolean =>
      tl.logs.every((l) => {
        const s = readState(l.logId);
        const pending = join(logDir(l.logId), 'unverified_sths');
        if (!s?.verified_sth || (s.download_position?.size ?? 0) < s.verified_sth.tree_size || !existsSync(pending) || readdirSync(pending).length > 0) return false;
        states.set(l.name, s);
        return true;
      });
    while (!done()) {
      if (child.exitCode !== null) assert.fail(`certspotter exited with ${child.exitCode}:\n${stderr}`);
      if (Date.now() > deadline) assert.fail(`certspotter did not download every log within ${TIMEOUT_MS} ms:\n${stderr.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill('SIGTERM');
    await exited;
    for (const l of tl.logs) {
      for (const sub of ['malformed_entries', 'healthchecks']) {
        const dir = join(logDir(l.logId), sub);
        assert.deepEqual(existsSync(dir) ? readdirSync(dir) : [], [], `${sub} of ${l.name}`);
      }
    }
    return { stdout, stderr, states };
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(work, { recursive: true, force: true });
  }
}

/** certspotter verified real tree heads, and found exactly the expected .jp certificates in what it downloaded. */
function checkAgainstGroundTruth(tl: TestLogs, run: { stdout: string; states: Map<string, LogStateFile> }): void {
  const covered = new Map<string, number>();
  for (const l of tl.logs) {
    const state = run.states.get(l.name)!;
    const v = state.verified_sth!;
    assert.equal(v.sha256_root_hash, tl.rootHash(l.name, v.tree_size).toString('base64'), `verified root of ${l.name} at ${v.tree_size}`);
    covered.set(l.name, state.download_position!.size);
  }
  const seen = (s: { log: string; index: number }): boolean => s.index < covered.get(s.log)!;
  const findings = parseFindings(run.stdout);
  const byUrl = new Map(tl.logs.map((l) => [l.url, l.name]));
  const wanted = new Map<string, { cert: TestLogs['expected']['certificates'][number]; type: 'precert_entry' | 'x509_entry' }>();
  for (const c of tl.expected.certificates) {
    if (c.sightings.some((s) => seen(s) && s.entry_type === 'precert_entry')) wanted.set(c.precert_sha256!, { cert: c, type: 'precert_entry' });
    if (c.sightings.some((s) => seen(s) && s.entry_type === 'x509_entry')) wanted.set(c.cert_sha256, { cert: c, type: 'x509_entry' });
  }
  const found = new Set(findings.map((f) => f.sha256));
  assert.deepEqual([...wanted.keys()].filter((h) => !found.has(h)), [], 'expected certificates certspotter did not report');
  assert.deepEqual([...found].filter((h) => !wanted.has(h)), [], 'certificates certspotter reported that are not expected');
  for (const f of findings) {
    const w = wanted.get(f.sha256)!;
    const logName = byUrl.get(f.logUrl);
    assert.ok(logName, `finding from an unknown log URL ${f.logUrl}`);
    assert.ok(w.cert.sightings.some((s) => s.log === logName && s.index === f.index && s.entry_type === w.type), `${f.sha256} at ${logName}#${f.index} is one of its sightings`);
    assert.deepEqual([...f.dnsNames].sort(), [...w.cert.san_dns].sort());
  }
  for (const e of tl.expected.jp_entries.filter(seen)) {
    const c = tl.expected.certificates.find((x) => x.id === e.certificate)!;
    assert.ok(found.has(e.entry_type === 'precert_entry' ? c.precert_sha256! : c.cert_sha256), `${e.log}#${e.index} belongs to a reported certificate`);
  }
}

async function withLogs(opts: StartOptions, body: (tl: TestLogs) => Promise<void>): Promise<void> {
  const tl = await startTestLogs(opts);
  try {
    await body(tl);
  } finally {
    await tl.close();
  }
}

test('certspotter verifies the test logs and finds exactly the expected .jp certificates', { timeout: TIMEOUT_MS + 30_000 }, async () => {
  await withLogs({ seed: 'certspotter', size: 2500 }, async (tl) => {
    const run = await runCertspotter(tl);
    for (const l of tl.logs) assert.equal(run.states.get(l.name)!.verified_sth!.tree_size, tl.treeSize(l.name), `${l.name} verified at its full size`);
    const problems = run.stderr.split('\n').filter((line) => /error|invalid|mismatch/i.test(line) && !/context canceled/.test(line));
    assert.deepEqual(problems, []);
    checkAgainstGroundTruth(tl, run);
  });
});

test('certspotter gets through rate limits, 5xx answers, dropped connections and stale tree heads', { timeout: TIMEOUT_MS + 30_000 }, async () => {
  const faults = { errorRate: 0.05, dropRate: 0.02, staleSthRate: 0.3, rateLimit: { perSecond: 50, burst: 20 } };
  await withLogs({ seed: 'certspotter-faults', size: 2500, faults }, async (tl) => {
    const run = await runCertspotter(tl);
    const verified = tl.logs.reduce((sum, l) => sum + run.states.get(l.name)!.verified_sth!.tree_size, 0);
    assert.ok(verified >= 0.95 * tl.logs.length * 2500, `certspotter verified ${verified} entries`);
    checkAgainstGroundTruth(tl, run);
  });
});
