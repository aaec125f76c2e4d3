/**
 * The worker's settings that CT log operators see: the contact in the
 * User-Agent, validated, the friend's own winning over none.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contactProblem } from '../../src/share/contact.js';
import { ConfigError, WORKER_SETTINGS, helpText, parseWorkerConfig } from '../../src/worker/config.js';
import { WORKER_VERSION, userAgent } from '../../src/worker/version.js';

test('a contact is an e-mail address or an https URL, from the flag or CTJP_CONTACT', () => {
  const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const parsed = parseWorkerConfig(['--name', 'alice', ...argv], env);
    assert.equal(parsed.kind, 'run');
    return parsed.kind === 'run' ? parsed.config : null;
  };
  assert.equal(run([])!.contact, null);
  assert.equal(run(['--contact', 'ct@example.jp'])!.contact, 'ct@example.jp');
  assert.equal(run([], { CTJP_CONTACT: 'https://lab.example.ac.jp/ct' })!.contact, 'https://lab.example.ac.jp/ct');
  assert.equal(run(['--contact', 'a@b.jp'], { CTJP_CONTACT: 'https://x.example/' })!.contact, 'a@b.jp');
  for (const bad of ['alice', 'http://plain.example/', 'a b@c.jp', 'x'.repeat(130) + '@a.jp']) {
    assert.ok(contactProblem(bad) !== null, bad);
    assert.throws(() => parseWorkerConfig(['--name', 'alice', '--contact', bad], {}), (e: Error) => e instanceof ConfigError && e.message.startsWith(`--contact "${bad.slice(0, 80)}" `));
  }
});

test('the User-Agent names the worker, its contact first, and the friend; nothing unprintable', () => {
  assert.equal(userAgent('alice', 'ct@example.jp'), `ctjp-worker/${WORKER_VERSION} (+ct@example.jp; friend alice)`);
  assert.equal(userAgent('アリス (x)'), `ctjp-worker/${WORKER_VERSION} (friend ??? x)`);
});

test('settings from flags and CTJP_* variables, flags winning; --help lists every one', () => {
  const parsed = parseWorkerConfig(['--name', 'bob', '--spool-max-mb', '2', '--exit-when-idle'], { CTJP_MANAGER_URL: 'https://m.example/', CTJP_SPOOL_MAX_MB: '9', CTJP_PROXIES: 'http://p:3128, socks5://q:1080', CTJP_STATUS_INTERVAL_S: '5', CTJP_SPOOL_DIR: '/s' });
  assert.equal(parsed.kind, 'run');
  const c = parsed.kind === 'run' ? parsed.config : null;
  assert.deepEqual(
    [c!.managerUrl, c!.spoolMaxBytes, c!.proxies, c!.statusIntervalMs, c!.exitWhenIdle, c!.inFlight, c!.batchSize, c!.spoolDir],
    ['https://m.example', 2 * 2 ** 20, ['http://p:3128', 'socks5://q:1080'], 5000, true, null, 256, '/s'],
  );
  assert.throws(() => parseWorkerConfig([], {}), (e: Error) => e instanceof ConfigError && /^--name \(or CTJP_NAME\) is required/.test(e.message));
  assert.throws(() => parseWorkerConfig(['--name', 'bob'], { CTJP_IN_FLIGHT: '65' }), (e: Error) => e instanceof ConfigError && e.message === 'CTJP_IN_FLIGHT must lie in [1, 64] (got 65)');
  assert.deepEqual(parseWorkerConfig(['--help'], { CTJP_IN_FLIGHT: 'bad' }), { kind: 'help' });
  const help = helpText('1.2.3');
  for (const s of Object.values(WORKER_SETTINGS)) assert.match(help, new RegExp(`^  --${s.flag}\\b.* ${s.env}\\b`, 'm'), s.flag);
});
