/**
 * The settings reader every program uses: flags over CTJP_* variables over defaults, refusals that
 * name where the bad value came from, and --help written from the same table.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConfigError,
  boolean,
  checkedBy,
  contact,
  httpUrl,
  integer,
  missing,
  oneOf,
  readSettings,
  secondsAsMs,
  settingsHelp,
  text,
  type SettingTable,
} from '../../src/share/config.js';

const TABLE = {
  size: { flag: 'size', env: 'CTJP_T_SIZE', arg: 'N', help: 'how many', default: '10', parse: integer(1, 100) },
  label: { flag: 'label', env: 'CTJP_T_LABEL', arg: 'TEXT', help: 'a label', parse: text },
  loud: { flag: 'loud', env: 'CTJP_T_LOUD', help: 'speak up', default: '0', shownDefault: 'off', parse: boolean },
  peers: { flag: 'peer', env: 'CTJP_T_PEERS', arg: 'URL', multiple: true, help: 'a peer\nrepeat it for several', parse: httpUrl },
  out: { flag: 'out', arg: 'FILE', help: 'where it goes', required: true, parse: text },
} as const satisfies SettingTable;

const refusedWith = (message: string) => (e: Error) => e instanceof ConfigError && e.message === message;

test('defaults, then variables, then flags: each wins over the one before', () => {
  const none = readSettings(TABLE, [], {}).values;
  assert.deepEqual(none, { size: 10, label: undefined, loud: false, peers: [], out: undefined });
  const env = { CTJP_T_SIZE: '20', CTJP_T_LABEL: ' from env ', CTJP_T_LOUD: 'yes', CTJP_T_PEERS: 'http://a.example/, https://b.example' };
  const fromEnv = readSettings(TABLE, [], env).values;
  assert.deepEqual(fromEnv, { size: 20, label: 'from env', loud: true, peers: ['http://a.example', 'https://b.example'], out: undefined });
  const flags = readSettings(TABLE, ['--size', '30', '--label=flag', '--no-loud', '--peer', 'http://c.example', '--peer', 'http://d.example', '--out', 'f'], env).values;
  assert.deepEqual(flags, { size: 30, label: 'flag', loud: false, peers: ['http://c.example', 'http://d.example'], out: 'f' });
  assert.equal(readSettings(TABLE, ['--loud'], { CTJP_T_LOUD: '0' }).values.loud, true);
});

test('an empty value counts as none, as compose files pass unset variables', () => {
  assert.deepEqual(readSettings(TABLE, [], { CTJP_T_SIZE: '', CTJP_T_LABEL: '  ', CTJP_T_LOUD: '', CTJP_T_PEERS: '' }).values, readSettings(TABLE, [], {}).values);
  assert.equal(readSettings(TABLE, ['--label', ''], { CTJP_T_LABEL: 'env' }).values.label, 'env');
});

test('a refusal names the flag or the variable the bad value came from, and the value', () => {
  assert.throws(() => readSettings(TABLE, ['--size', '0'], {}), refusedWith('--size must lie in [1, 100] (got 0)'));
  assert.throws(() => readSettings(TABLE, [], { CTJP_T_SIZE: 'ten' }), refusedWith('CTJP_T_SIZE must be a whole number (got "ten")'));
  assert.throws(() => readSettings(TABLE, [], { CTJP_T_LOUD: 'maybe' }), refusedWith('CTJP_T_LOUD must be 1 or 0 (got "maybe")'));
  assert.throws(() => readSettings(TABLE, [], { CTJP_T_PEERS: 'http://a.example,ftp://b.example' }), refusedWith('CTJP_T_PEERS "ftp://b.example" must start with http:// or https://'));
  assert.throws(() => readSettings(TABLE, ['--peer', 'nowhere'], {}), refusedWith('--peer "nowhere" is not a URL'));
  assert.throws(() => readSettings(TABLE, ['--bogus'], {}), (e: Error) => e instanceof ConfigError && /'--bogus'.*\(see --help\)$/.test(e.message));
  assert.throws(() => readSettings(TABLE, ['stray'], {}), ConfigError);
  assert.deepEqual(readSettings(TABLE, ['stray'], {}, { positionals: true }).positionals, ['stray']);
  assert.equal(missing(TABLE.out).message, '--out is required: where it goes (see --help)');
});

test('the source of a setting: its flag when given, else its variable', () => {
  const read = readSettings(TABLE, ['--size', '5'], { CTJP_T_LABEL: 'x' });
  assert.deepEqual([read.source('size'), read.source('label'), read.source('loud'), read.source('out')], ['--size', 'CTJP_T_LABEL', 'CTJP_T_LOUD', '--out']);
});

test('--help is answered before anything is checked; extra options pass through', () => {
  const read = readSettings(TABLE, ['-h', '--version'], { CTJP_T_SIZE: 'bad' }, { extraOptions: { version: { type: 'boolean' } } });
  assert.equal(read.help, true);
  assert.equal(read.extra.version, true);
});

test('the shared parsers', () => {
  assert.equal(secondsAsMs(1, 60)('30', 's'), 30_000);
  assert.equal(integer(1, 4, 2 ** 20)('2', 'mb'), 2 * 2 ** 20);
  for (const yes of ['1', 'true', 'YES', 'on']) assert.equal(boolean(yes, 'b'), true);
  for (const no of ['0', 'false', 'No', 'off']) assert.equal(boolean(no, 'b'), false);
  assert.equal(oneOf(['a', 'b'])('b', 'x'), 'b');
  assert.throws(() => oneOf(['a', 'b'])('c', '--x'), refusedWith('--x must be one of a, b (got "c")'));
  assert.equal(contact('ct@example.jp', 'c'), 'ct@example.jp');
  assert.throws(() => contact('nobody', 'CTJP_CONTACT'), refusedWith('CTJP_CONTACT "nobody" is neither an e-mail address nor an https:// URL'));
  const even = checkedBy((t) => {
    if (Number(t) % 2) throw new Error(`${t} is odd`);
  });
  assert.equal(even('4', '--n'), '4');
  assert.throws(() => even('3', '--n'), refusedWith('--n: 3 is odd'));
});

test('--help is written from the table: flag, variable, text, default', () => {
  assert.equal(
    settingsHelp(TABLE),
    [
      '  --size N                         CTJP_T_SIZE',
      '      how many (default: 10)',
      '  --label TEXT                     CTJP_T_LABEL',
      '      a label',
      '  --loud                           CTJP_T_LOUD=1',
      '      speak up (default: off)',
      '  --peer URL (repeatable)          CTJP_T_PEERS (comma-separated)',
      '      a peer',
      '      repeat it for several',
      '  --out FILE',
      '      where it goes (required)',
      '  --help, -h                       this text',
    ].join('\n'),
  );
});
