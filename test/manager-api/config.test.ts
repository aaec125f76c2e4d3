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

test('log list settings: --log-list, --log-list-sig, --log-list-key, --log-states and their CTJP_* variables, flags winning', () => {
  const none = parseManagerArgs([], {}).config;
  assert.deepEqual([none.logList, none.logListSig, none.logListKey, none.logListStates], [null, null, null, []]);
  const env = { CTJP_LOG_LIST: 'https://www.gstatic.com/ct/log_list/v3/log_list.json', CTJP_LOG_LIST_SIG: 'https://www.gstatic.com/ct/log_list/v3/log_list.sig', CTJP_LOG_LIST_KEY: '/etc/ctjp/log_list_pubkey.pem', CTJP_LOG_STATES: 'rejected' };
  const fromEnv = parseManagerArgs([], env).config;
  assert.deepEqual([fromEnv.logList, fromEnv.logListSig, fromEnv.logListKey, fromEnv.logListStates, fromEnv.logsFile], [env.CTJP_LOG_LIST, env.CTJP_LOG_LIST_SIG, env.CTJP_LOG_LIST_KEY, ['rejected'], null]);
  const flags = parseManagerArgs(['--log-list', 'list.json', '--log-list-sig', 'list.sig', '--log-list-key', 'key.pem', '--log-states', 'pending, Rejected,usable'], env).config;
  // Default states need not be named; each state counts once.
  assert.deepEqual([flags.logList, flags.logListSig, flags.logListKey, flags.logListStates], ['list.json', 'list.sig', 'key.pem', ['pending', 'rejected']]);
  // A list without a signature is allowed.
  assert.equal(parseManagerArgs(['--log-list', 'list.json'], {}).config.logList, 'list.json');
});

test('log list settings are refused with the settings named: a catalogue too, a half of the signature pair, an unknown state', () => {
  const refused = (argv: string[], env: Record<string, string>, re: RegExp) => assert.throws(() => parseManagerArgs(argv, env), (e: Error) => e instanceof ConfigError && re.test(e.message));
  refused(['--logs', 'l.json', '--log-list', 'list.json'], {}, /--logs and --log-list are both set: a log list replaces the catalogue file, give one of them/);
  refused(['--log-list', 'list.json'], { CTJP_LOGS: 'l.json' }, /CTJP_LOGS and --log-list are both set/);
  refused([], { CTJP_LOGS: 'l.json', CTJP_LOG_LIST: 'list.json' }, /CTJP_LOGS and CTJP_LOG_LIST are both set/);
  refused(['--log-list', 'list.json', '--log-list-sig', 'list.sig'], {}, /--log-list-sig needs the public key to check the signature with \(--log-list-key \/ CTJP_LOG_LIST_KEY\)/);
  refused(['--log-list', 'list.json'], { CTJP_LOG_LIST_KEY: 'k.pem' }, /CTJP_LOG_LIST_KEY needs the signature to check/);
  refused(['--log-list-sig', 'list.sig', '--log-list-key', 'k.pem'], {}, /--log-list-sig is set but no log list is/);
  refused(['--log-states', 'rejected'], {}, /--log-states is set but no log list is/);
  refused(['--log-list', 'l.json', '--log-list-sig', 's', '--log-list-key', 'https://x.example/key.pem'], {}, /--log-list-key must be a file/);
  refused(['--log-list', 'l.json', '--log-states', 'rejected,gone'], {}, /log-states: unknown state "gone" \(states: pending, qualified, usable, readonly, retired, rejected\)/);
});

test('the contact sent to workers is an e-mail address or an https URL', () => {
  assert.equal(parseManagerArgs(['--contact', 'ct@lab.example.ac.jp'], {}).config.contact, 'ct@lab.example.ac.jp');
  assert.equal(parseManagerArgs([], { CTJP_CONTACT: 'https://lab.example.ac.jp/ct' }).config.contact, 'https://lab.example.ac.jp/ct');
  assert.equal(parseManagerArgs([], {}).config.contact, null);
  assert.throws(() => parseManagerArgs(['--contact', 'nobody'], {}), /--contact "nobody" is neither an e-mail address nor an https:\/\/ URL/);
});
