/**
 * The analysis and export settings: flags over CTJP_* variables over defaults, a required --out, and
 * --help answered without one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ANALYZE_USAGE, EXPORT_USAGE, analyzeConfig, exportConfig } from '../../src/analysis/config.js';
import { ConfigError } from '../../src/share/config.js';

const run = <C>(command: { kind: 'help' } | { kind: 'run'; config: C }): C => {
  assert.equal(command.kind, 'run');
  return (command as { config: C }).config;
};

test('analyze: defaults, CTJP_* variables, flags winning; --no-per-name and CTJP_ANALYSIS_PER_NAME=0 turn the variant off', () => {
  assert.deepEqual(run(analyzeConfig(['--out', 'r'], {})), { out: 'r', db: 'mysql://root@127.0.0.1:3306/ct', batchSize: 20_000, coverage: undefined, perName: true, tmpDir: undefined });
  const env = { CTJP_ANALYSIS_OUT: 'e', CTJP_DB_URL: 'mysql://u@h/x', CTJP_ANALYSIS_BATCH: '500', CTJP_ANALYSIS_COVERAGE: 'c.json', CTJP_ANALYSIS_PER_NAME: '0', CTJP_ANALYSIS_TMP: '/t' };
  assert.deepEqual(run(analyzeConfig([], env)), { out: 'e', db: 'mysql://u@h/x', batchSize: 500, coverage: 'c.json', perName: false, tmpDir: '/t' });
  assert.deepEqual(run(analyzeConfig(['--out', 'f', '--batch', '7', '--per-name'], env)), { out: 'f', db: 'mysql://u@h/x', batchSize: 7, coverage: 'c.json', perName: true, tmpDir: '/t' });
  assert.equal(run(analyzeConfig(['--out', 'f', '--no-per-name'], {})).perName, false);
});

test('export: the schema file beside the output unless given', () => {
  assert.deepEqual(run(exportConfig(['--out', 'c.ndjson'], {})), { out: 'c.ndjson', schema: 'c.ndjson.schema.json', db: 'mysql://root@127.0.0.1:3306/ct', batchSize: 20_000 });
  assert.equal(run(exportConfig(['--schema', 's.json'], { CTJP_EXPORT_OUT: 'x' })).schema, 's.json');
});

test('refusals name the setting; --help needs nothing else', () => {
  assert.throws(() => analyzeConfig([], {}), (e: Error) => e instanceof ConfigError && /^--out \(or CTJP_ANALYSIS_OUT\) is required/.test(e.message));
  assert.throws(() => exportConfig([], {}), (e: Error) => e instanceof ConfigError && /^--out \(or CTJP_EXPORT_OUT\) is required/.test(e.message));
  assert.throws(() => analyzeConfig(['--out', 'r', '--db', 'http://x/y'], {}), (e: Error) => e instanceof ConfigError && e.message === '--db: database URL must start with mysql:// (got http://)');
  assert.throws(() => exportConfig(['--out', 'r'], { CTJP_ANALYSIS_BATCH: '0' }), (e: Error) => e instanceof ConfigError && e.message === 'CTJP_ANALYSIS_BATCH must lie in [1, 1000000] (got 0)');
  assert.deepEqual(analyzeConfig(['--help'], {}), { kind: 'help' });
  assert.deepEqual(exportConfig(['-h'], {}), { kind: 'help' });
  for (const v of ['CTJP_ANALYSIS_OUT', 'CTJP_DB_URL', 'CTJP_ANALYSIS_BATCH', 'CTJP_ANALYSIS_COVERAGE', 'CTJP_ANALYSIS_PER_NAME', 'CTJP_ANALYSIS_TMP']) assert.ok(ANALYZE_USAGE.includes(v), v);
  for (const f of ['--out FILE', '--schema FILE', '--db URL', '--batch N']) assert.ok(EXPORT_USAGE.includes(f), f);
});
