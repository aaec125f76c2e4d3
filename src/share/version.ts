/**
 * Versions of ctjp-worker, compared the same way by the manager (which refuses workers older than its
 * `min_worker_version`) and by the worker (which stops scanning when it is too old). Semantic
 * versioning (semver.org): 1.0.0-rc1 < 1.0.0, build metadata (+...) ignored. Pre-release identifiers
 * compare as semver says, numeric ones by value and the others as text, so 1.0.0-rc.10 follows
 * 1.0.0-rc.9 but 1.0.0-rc10 sorts before 1.0.0-rc2, as npm sorts them: number pre-releases after a
 * dot, as `npm version prerelease --preid rc` does. A version that is not semantic ("1.2", "latest")
 * is refused rather than guessed at: the manager answers 400 for a worker that reports one and 422
 * for an operator's minimum that is one.
 */
import compare from 'semver/functions/compare.js';
import coerce from 'semver/functions/coerce.js';
import parse from 'semver/functions/parse.js';

/**
 * The regular expression of semver.org: MAJOR.MINOR.PATCH, optional -pre.release and +build, no
 * leading zeros, no "v" prefix; MAJOR, MINOR and PATCH have at most 15 digits, so that they stay
 * below Number.MAX_SAFE_INTEGER as the library requires. The API schemas use it for the version a
 * worker reports.
 */
export const SEMVER_PATTERN =
  '^(0|[1-9]\\d{0,14})\\.(0|[1-9]\\d{0,14})\\.(0|[1-9]\\d{0,14})' +
  '(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?' +
  '(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$';

const SEMVER = new RegExp(SEMVER_PATTERN);

/** Why a text is not a semantic version (null when it is one), e.g. `is not a semantic version like 1.2.0 or 1.2.0-rc1`. */
export function versionProblem(text: string): string | null {
  // The library also accepts "v1.2.0" and surrounding spaces; the pattern keeps the canonical form only.
  if (!SEMVER.test(text) || parse(text) === null) return 'is not a semantic version like 1.2.0 or 1.2.0-rc1 (semver.org)';
  return null;
}

export class VersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VersionError';
  }
}

/**
 * Negative when a is older than b, 0 when they are the same version (build metadata aside), positive
 * when a is newer. Throws VersionError naming the text when either is not a semantic version.
 */
export function compareVersions(a: string, b: string): number {
  for (const v of [a, b]) {
    const why = versionProblem(v);
    if (why !== null) throw new VersionError(`version "${v.slice(0, 40)}" ${why}`);
  }
  return compare(a, b);
}

/**
 * The semantic version that a text stored before versions were checked stood for: "0.2" was 0.2.0
 * to both earlier comparisons. Null when the text holds no version number at all.
 */
export function coerceVersion(text: string): string | null {
  if (versionProblem(text) === null) return text;
  const v = coerce(text, { includePrerelease: true })?.version ?? null;
  return v !== null && versionProblem(v) === null ? v : null;
}
