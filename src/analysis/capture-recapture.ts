/**
 * The two small estimators the completeness figures rest on, kept apart from the data handling so
 * that they can be checked against textbook values: Chapman's two-occasion capture–recapture
 * estimate with Chao's log-normal interval, and Wilson's interval for a proportion.
 *
 * Why Chapman rather than Lincoln–Petersen: it is finite when no certificate is caught twice and
 * nearly unbiased for small recaptures (Chapman 1951). Why the log-normal interval (Chao 1987)
 * rather than N̂ ± z·SE: the estimate's distribution is skewed to the right, and the symmetric
 * interval can fall below the number already seen, which is impossible.
 */

/** 97.5 % quantile of the standard normal: a two-sided 95 % interval. */
export const Z95 = 1.959963984540054;

export interface ChapmanEstimate {
  /** Caught on occasion 1, on occasion 2, on both. */
  n1: number;
  n2: number;
  m: number;
  /** Caught at least once: n1 + n2 − m. */
  caught: number;
  /** Estimated population. */
  estimate: number;
  /** Estimated number caught on neither occasion: (n1 − m)(n2 − m) / (m + 1). */
  uncaught: number;
  variance: number;
  /** 95 % interval of the population; never below `caught`. */
  interval: [number, number];
  /** The same interval for `uncaught`. */
  uncaughtInterval: [number, number];
}

/**
 * Chapman: N̂ = (n1+1)(n2+1)/(m+1) − 1, Var = (n1+1)(n2+1)(n1−m)(n2−m) / ((m+1)²(m+2)) (Seber 1970).
 * The uncaught part f0 = N̂ − caught gets the log-normal interval [f0/C, f0·C],
 * C = exp(z·√ln(1 + Var/f0²)); with f0 = 0 the variance is 0 too and the interval is the point.
 */
export function chapman(n1: number, n2: number, m: number, z = Z95): ChapmanEstimate {
  if (![n1, n2, m].every((x) => Number.isInteger(x) && x >= 0)) throw new Error(`chapman: counts must be whole and ≥ 0 (n1 ${n1}, n2 ${n2}, m ${m})`);
  if (m > n1 || m > n2) throw new Error(`chapman: recaptures m = ${m} exceed a catch (n1 ${n1}, n2 ${n2})`);
  const caught = n1 + n2 - m;
  const uncaught = ((n1 - m) * (n2 - m)) / (m + 1);
  const variance = ((n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m)) / ((m + 1) ** 2 * (m + 2));
  const uncaughtInterval = logNormalInterval(uncaught, variance, z);
  return {
    n1,
    n2,
    m,
    caught,
    estimate: caught + uncaught,
    uncaught,
    variance,
    interval: [caught + uncaughtInterval[0], caught + uncaughtInterval[1]],
    uncaughtInterval,
  };
}

/** Chao's log-normal interval for an estimated count f0 ≥ 0 with the given variance. */
export function logNormalInterval(f0: number, variance: number, z = Z95): [number, number] {
  if (f0 <= 0 || variance <= 0) return [f0, f0];
  const c = Math.exp(z * Math.sqrt(Math.log(1 + variance / (f0 * f0))));
  return [f0 / c, f0 * c];
}

/** Wilson's score interval for k successes in n trials; null when n = 0. */
export function wilson(k: number, n: number, z = Z95): [number, number] | null {
  if (n === 0) return null;
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
