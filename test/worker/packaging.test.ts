import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');

/** The stages of a Dockerfile: name (or index) -> its instructions (continuation lines joined). */
function stages(text: string): { name: string; from: string; lines: string[] }[] {
  const out: { name: string; from: string; lines: string[] }[] = [];
  const joined = text.replace(/\\\n/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (m) out.push({ name: m[2] ?? String(out.length), from: m[1], lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

test('Dockerfile: the default (last) stage runs the bundled worker on a Node LTS, as a non-root user, signals reaching node', () => {
  const all = stages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  for (const s of all) assert.match(s.from, /^node:(20|22)-alpine$/, `stage ${s.name} is based on ${s.from}`);
  const worker = all.at(-1)!;
  assert.equal(worker.name, 'worker');
  const users = worker.lines.filter((l) => /^USER\s/i.test(l));
  assert.equal(users.length, 1);
  assert.doesNotMatch(users[0], /^USER\s+(root|0)(:|\s|$)/i);
  const entry = worker.lines.filter((l) => /^ENTRYPOINT\s/i.test(l));
  assert.equal(entry.length, 1);
  const argv = JSON.parse(entry[0].replace(/^ENTRYPOINT\s+/i, '')) as string[];
  assert.ok(Array.isArray(argv), 'ENTRYPOINT is in exec (JSON array) form');
  assert.deepEqual(argv.slice(0, 2), ['/sbin/tini', '--'], 'tini is PID 1 and forwards signals');
  assert.ok(argv.includes('/app/ctjp-worker.mjs'));
  assert.ok(worker.lines.some((l) => /apk add --no-cache tini/.test(l)));
  assert.ok(!worker.lines.some((l) => /^CMD\s+[^[]/i.test(l)), 'no shell-form CMD');
  assert.ok(worker.lines.some((l) => /^VOLUME\s+\["\/spool"\]/.test(l)), 'the spool is a volume');
  const manager = all.find((s) => s.name === 'manager')!;
  assert.ok(manager.lines.some((l) => /^USER\s+node$/.test(l)));
});

test('docker-compose.yml: MariaDB, manager and a worker configured through CTJP_* variables', () => {
  const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  for (const service of ['mariadb:', 'manager:', 'worker:']) assert.match(text, new RegExp(`^  ${service}`, 'm'));
  for (const v of ['CTJP_MANAGER_URL', 'CTJP_NAME', 'CTJP_TOKEN', 'CTJP_PROXIES', 'CTJP_DB_URL']) assert.ok(text.includes(v), v);
  assert.match(text, /spool:\/spool/);
  assert.match(text, /stop_grace_period: 15s/);
});

test('the single-file worker bundle runs with plain Node.js', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctjp-bundle-'));
  try {
    const out = join(dir, 'ctjp-worker.mjs');
    execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'tools', 'build-worker.ts'), '--out', out], { cwd: ROOT, stdio: 'pipe' });
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
    // Run from an empty folder, far from node_modules: everything must be inside the file.
    assert.equal(execFileSync(process.execPath, [out, '--version'], { cwd: dir, encoding: 'utf8' }).trim(), version);
    assert.match(execFileSync(process.execPath, [out, '--help'], { cwd: dir, encoding: 'utf8' }), /CTJP_MANAGER_URL/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
