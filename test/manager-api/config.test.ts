import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEFAULTS, MANAGER_SETTINGS, USAGE, managerConfig, parseManagerArgs } from '../../src/manager-api/config.js';
import { parseShare } from '../../src/share/config.js';

test('defaults are the fixed ones of docs/design.md', () => {
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
  assert.equal(config.pingIntervalS, 30);
  assert.equal(config.logRetryS, 300);
  assert.equal(config.auditShare, 0.02);
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
  assert.throws(() => parseManagerArgs([], { CTJP_OPEN: 'maybe' }), /CTJP_OPEN must be 1 or 0 \(got "maybe"\)$/);
  assert.throws(() => parseManagerArgs(['--bogus'], {}), ConfigError);
  assert.throws(() => parseManagerArgs([], { CTJP_ASSIGNMENT_SIZE: '0' }), /CTJP_ASSIGNMENT_SIZE must lie in \[1, 100000000\] \(got 0\)$/);
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

test('the ping interval follows dead-after unless given: a quarter of it, at least 1 s and at most 30 s', () => {
  const ping = (env: Record<string, string>, argv: string[] = []) => parseManagerArgs(argv, env).config.pingIntervalS;
  assert.equal(ping({}), 30);
  assert.equal(ping({ CTJP_DEAD_AFTER_S: '15' }), 3);
  assert.equal(ping({ CTJP_DEAD_AFTER_S: '8' }), 2);
  assert.equal(ping({ CTJP_DEAD_AFTER_S: '2' }), 1);
  assert.equal(ping({ CTJP_DEAD_AFTER_S: '3600' }), 30);
  assert.equal(ping({}, ['--dead-after', '40']), 10);
  // Given ones are kept when they fit: the demo's 15 s and 5 s, and exactly two pings per dead-after.
  assert.equal(ping({}, ['--dead-after', '15', '--ping-interval', '5']), 5);
  assert.equal(ping({ CTJP_DEAD_AFTER_S: '60', CTJP_PING_INTERVAL_S: '30' }), 30);
  assert.equal(ping({ CTJP_PING_INTERVAL_S: '45' }), 45);
  // The reaper period follows dead-after the same way.
  assert.equal(parseManagerArgs(['--dead-after', '15'], {}).config.reaperIntervalS, 3);
});

test('a dead-after shorter than two ping intervals is refused at start-up, naming both settings and their values', () => {
  const refused = (argv: string[], env: Record<string, string>, re: RegExp) => assert.throws(() => parseManagerArgs(argv, env), (e: Error) => e instanceof ConfigError && re.test(e.message));
  // The pair seen declaring live workers dead: 15 s dead-after against 30 s pings.
  refused([], { CTJP_DEAD_AFTER_S: '15', CTJP_PING_INTERVAL_S: '30' }, /^CTJP_DEAD_AFTER_S 15 and CTJP_PING_INTERVAL_S 30 do not fit: dead-after must be at least 2 ping intervals \(60 s\)/);
  refused(['--ping-interval', '30'], { CTJP_DEAD_AFTER_S: '15' }, /^CTJP_DEAD_AFTER_S 15 and --ping-interval 30 do not fit/);
  refused(['--dead-after', '59', '--ping-interval', '30'], {}, /^--dead-after 59 and --ping-interval 30 do not fit/);
  refused(['--ping-interval', '61'], {}, /^CTJP_DEAD_AFTER_S 120 and --ping-interval 61 do not fit: dead-after must be at least 2 ping intervals \(122 s\)/);
  // A dead-after too short for any ping interval.
  refused(['--dead-after', '1'], {}, /dead-after must lie in \[2, /);
});

test('a config built from overrides (tests, benchmarks) follows the same rules: derived pings, an unfit pair refused', () => {
  assert.equal(managerConfig().pingIntervalS, 30);
  assert.deepEqual([managerConfig({ deadAfterS: 3 }).pingIntervalS, managerConfig({ deadAfterS: 3 }).reaperIntervalS], [1, 1]);
  assert.deepEqual([managerConfig({ deadAfterS: 3, reaperIntervalS: 2 }).pingIntervalS, managerConfig({ deadAfterS: 3, reaperIntervalS: 2 }).reaperIntervalS], [1, 2]);
  assert.equal(managerConfig({ deadAfterS: 120, pingIntervalS: 60 }).pingIntervalS, 60);
  assert.throws(() => managerConfig({ deadAfterS: 3, pingIntervalS: 2 }), (e: Error) => e instanceof ConfigError && /^deadAfterS 3 and pingIntervalS 2 do not fit/.test(e.message));
  assert.throws(() => managerConfig({ pingIntervalS: 61 }), /deadAfterS 120 and pingIntervalS 61 do not fit/);
  assert.throws(() => managerConfig({ auditShare: 1.5 }), /auditShare must lie in \[0, 1\] \(got 1\.5\)/);
});

test('the audit share: 0.02 by default, a decimal, a percentage or a fraction in [0, 1], flags winning', () => {
  const share = (argv: string[], env: Record<string, string> = {}) => parseManagerArgs(argv, env).config.auditShare;
  assert.equal(share([]), 0.02);
  assert.equal(share(['--audit-share', '0.05']), 0.05);
  assert.equal(share(['--audit-share', '2%']), 0.02);
  assert.equal(share(['--audit-share', '12.5 %']), 0.125);
  assert.equal(share(['--audit-share', '1/50']), 0.02);
  assert.equal(share([], { CTJP_AUDIT_SHARE: '0.1' }), 0.1);
  assert.equal(share(['--audit-share', '0.3'], { CTJP_AUDIT_SHARE: '0.1' }), 0.3);
  for (const none of ['0', '0.0', '0%', '0/10']) assert.equal(share(['--audit-share', none]), 0, none);
  for (const all of ['1', '1.0', '100%', '5/5']) assert.equal(share(['--audit-share', all]), 1, all);
  for (const bad of ['1.5', '150%', '101%', '-0.1', 'two', '2/1', '0/0', '1/0', '%', '0.02.1']) {
    const named = (setting: string) => (e: Error) =>
      e instanceof ConfigError && (e.message === `${setting} must be a share in [0, 1] like 0.02, 2% or 1/50 (got "${bad}")` || e.message === `${setting} must lie in [0%, 100%] (got "${bad}")`);
    assert.throws(() => parseManagerArgs([`--audit-share=${bad}`], {}), named('--audit-share'), bad);
    assert.throws(() => parseManagerArgs([], { CTJP_AUDIT_SHARE: bad }), named('CTJP_AUDIT_SHARE'), bad);
  }
  assert.equal(parseShare('3%', 'x'), 0.03);
});

test('--help lists every setting with its flag, its variable and its default', () => {
  const { values } = parseManagerArgs(['--help'], {});
  assert.equal(values.help, true);
  for (const s of Object.values(MANAGER_SETTINGS)) {
    assert.match(USAGE, new RegExp(`^  --${s.flag}\\b.* ${s.env}\\b`, 'm'), s.flag);
    const shown = 'shownDefault' in s ? s.shownDefault : 'default' in s ? s.default : undefined;
    if (shown !== undefined) assert.ok(USAGE.includes(`(default: ${shown})`), s.flag);
  }
});
