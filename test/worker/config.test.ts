/**
 * The worker's settings that CT log operators see: the contact in the
 * User-Agent, validated, the friend's own winning over none.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contactProblem } from '../../src/share/contact.js';
import { ConfigError, parseWorkerConfig } from '../../src/worker/config.js';
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
    assert.throws(() => parseWorkerConfig(['--name', 'alice', '--contact', bad], {}), (e: Error) => e instanceof ConfigError && /--contact \/ CTJP_CONTACT/.test(e.message));
  }
});

test('the User-Agent names the worker, its contact first, and the friend; nothing unprintable', () => {
  assert.equal(userAgent('alice', 'ct@example.jp'), `ctjp-worker/${WORKER_VERSION} (+ct@example.jp; friend alice)`);
  assert.equal(userAgent('アリス (x)'), `ctjp-worker/${WORKER_VERSION} (friend ??? x)`);
});
