import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEFAULTS, parseManagerArgs } from '../../src/manager-api/config.js';

test('defaults are the fixed ones of DESIGN.md', () => {
  const { config } = parseManagerArgs([], {});
  assert.equal(config.dbUrl, 'mysql://root@127.0.0.1:3306/ct');
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 8080);
  assert.equal(config.dataDir, './data');
  assert.equal(config.targetFraction.text, '1/31');
  assert.equal(config.window, null);
  assert.equal(config.assignmentSize, 100_000);
  assert.equal(config.deadAfterS, 120);
  assert.equal(config.open, false);
  assert.equal(config.logsFile, null);
  assert.equal(config.reaperIntervalS, 30);
  assert.equal(config.ingestThreads, 1);
  assert.equal(DEFAULTS.pingIntervalS, 30);
});

test('CTJP_* variables set the config and flags win over them', () => {
  const env = { CTJP_DB_URL: 'mysql://u@h:3307/x', CTJP_PORT: '9000', CTJP_INGEST_THREADS: '3', CTJP_OPEN: '1', CTJP_WINDOW: '2025-12-01/2026-01-31', CTJP_ASSIGNMENT_SIZE: '5000', CTJP_DEAD_AFTER_S: '60', CTJP_TARGET_FRACTION: '0.05', CTJP_LOGS: '/tmp/l.json', CTJP_DATA_DIR: '/tmp/d' };
  const fromEnv = parseManagerArgs([], env).config;
  assert.equal(fromEnv.dbUrl, 'mysql://u@h:3307/x');
  assert.equal(fromEnv.port, 9000);
  assert.equal(fromEnv.open, true);
  assert.equal(fromEnv.window?.from.toISOString(), '2025-12-01T00:00:00.000Z');
  assert.equal(fromEnv.window?.until.toISOString(), '2026-02-01T00:00:00.000Z');
  assert.equal(fromEnv.assignmentSize, 5000);
  assert.equal(fromEnv.ingestThreads, 3);
  assert.equal(fromEnv.deadAfterS, 60);
  assert.equal(fromEnv.reaperIntervalS, 15);
  assert.equal(fromEnv.targetFraction.numerator / fromEnv.targetFraction.denominator, 0.05);
  const flags = parseManagerArgs(['--port', '9100', '--db', 'mysql://root@127.0.0.1/y', '--assignment-size', '256'], env).config;
  assert.equal(flags.port, 9100);
  assert.equal(flags.dbUrl, 'mysql://root@127.0.0.1/y');
  assert.equal(flags.assignmentSize, 256);
});

test('bad settings are refused with the setting named', () => {
  assert.throws(() => parseManagerArgs(['--port', '70000'], {}), (e: Error) => e instanceof ConfigError && /port must lie in/.test(e.message));
  assert.throws(() => parseManagerArgs([], { CTJP_OPEN: 'maybe' }), /open must be 1 or 0/);
  assert.throws(() => parseManagerArgs(['--bogus'], {}), ConfigError);
  assert.throws(() => parseManagerArgs([], { CTJP_ASSIGNMENT_SIZE: '0' }), /assignment-size/);
  assert.throws(() => parseManagerArgs(['--ingest-threads', '0'], {}), /ingest-threads must lie in \[1, 64\]/);
});
