/** Worker versions: one semver comparison for the manager and the worker, and what is not a version. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SEMVER_PATTERN, VersionError, compareVersions, versionProblem } from '../../src/share/version.js';

/** Asserts that the versions are in strictly increasing order, comparing every pair both ways. */
function assertAscending(...versions: string[]): void {
  for (let i = 0; i < versions.length; i++) {
    for (let j = 0; j < versions.length; j++) {
      const want = Math.sign(i - j);
      assert.equal(Math.sign(compareVersions(versions[i], versions[j])), want, `${versions[i]} vs ${versions[j]}: want ${want}`);
    }
  }
}

test('a release is newer than its pre-releases: a 1.0.0 worker meets a minimum of 1.0.0-rc1, a 1.0.0-rc1 worker does not meet 1.0.0', () => {
  assert.ok(compareVersions('1.0.0', '1.0.0-rc1') > 0);
  assert.ok(compareVersions('1.0.0-rc1', '1.0.0') < 0);
  assertAscending('0.9.9', '1.0.0-alpha', '1.0.0-beta', '1.0.0-rc1', '1.0.0', '1.0.1-rc1', '1.0.1');
});

test('pre-release numbers compare by value after a dot (rc.1 < rc.2 < rc.10), as text inside a word (rc10 < rc2, as npm sorts them)', () => {
  assertAscending('1.0.0-rc1', '1.0.0-rc2');
  assertAscending('1.0.0-rc.1', '1.0.0-rc.2', '1.0.0-rc.10');
  assertAscending('1.0.0-rc10', '1.0.0-rc2');
  // A shorter pre-release with the same leading identifiers comes first; numeric identifiers precede words.
  assertAscending('1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0');
  assertAscending('1.0.0-1', '1.0.0-2', '1.0.0-10', '1.0.0-a');
});

test('release numbers compare by value, not as text: 0.10.0 > 0.9.1, 1.10.0 > 1.9.3, 10.0.0 > 9.99.99', () => {
  assertAscending('0.9.1', '0.10.0');
  assertAscending('1.9.3', '1.10.0');
  assertAscending('0.1.0', '0.1.9', '0.2.0', '0.10.0', '1.0.0', '9.99.99', '10.0.0');
});

test('build metadata is ignored: 1.0.0+a equals 1.0.0+b and 1.0.0, and does not lift a pre-release', () => {
  assert.equal(compareVersions('1.0.0+a', '1.0.0+b'), 0);
  assert.equal(compareVersions('1.0.0+build.5', '1.0.0'), 0);
  assert.equal(compareVersions('1.0.0-rc.1+sha.0abc', '1.0.0-rc.1'), 0);
  assert.ok(compareVersions('1.0.0-rc.1+zzz', '1.0.0') < 0);
});

test('what is not a semantic version is refused with a message naming it, never guessed at', () => {
  for (const bad of ['1.2', '1', '', 'latest', 'v1.2.0', ' 1.2.0', '1.2.0 ', '=1.2.0', '01.2.0', '1.02.0', '1.2.0-', '1.2.0-rc..1', '1.2.0-01', '1.2.0+', '1.2.0_1', '1.2.3.4', '1234567890123456.0.0', '1.0.0-' + 'x'.repeat(300)]) {
    assert.match(versionProblem(bad) ?? 'accepted', /is not a semantic version like 1\.2\.0/, JSON.stringify(bad));
    assert.throws(() => compareVersions(bad, '1.0.0'), (e: unknown) => e instanceof VersionError && e.message.includes(`"${bad.slice(0, 40)}"`), JSON.stringify(bad));
    assert.throws(() => compareVersions('1.0.0', bad), VersionError, JSON.stringify(bad));
  }
  for (const good of ['0.0.0', '0.1.0', '1.0.0-rc1', '1.0.0-rc.10', '1.0.0-0', '1.0.0-x-y.z', '1.0.0+20260101', '1.0.0-beta+exp.sha.5114f85', '123456789012345.0.0']) {
    assert.equal(versionProblem(good), null, good);
  }
});

test('the API schemas pattern accepts exactly the versions versionProblem accepts', () => {
  const re = new RegExp(SEMVER_PATTERN, 'u');
  for (const v of ['1.0.0', '1.0.0-rc1', '1.0.0-rc.1+b.2', '0.10.0', '1.2', 'v1.0.0', '1.0.0-01', '1.0.0+', 'x', '123456789012345.0.0', '1234567890123456.0.0']) {
    assert.equal(re.test(v), versionProblem(v) === null, v);
  }
});
