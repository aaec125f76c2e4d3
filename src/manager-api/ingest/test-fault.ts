/**
 * Fault points for the crash tests of the ingest (test/manager-api/crash-safe.test.ts), chosen by
 * the environment variable CTJP_TEST_FAULT, read here and nowhere else. Unset, as in production,
 * every point does nothing.
 *
 *   kill-mid-write      the process kills itself (SIGKILL) halfway through writing an upload's leaf lines
 *   kill-before-commit  ... once the lines are written, before the upload's transaction commits
 *   kill-after-commit   ... right after the transaction commits, before the answer
 *   fail-commit         the transaction throws once the lines are written, so it rolls back
 */
export const TEST_FAULTS = ['kill-mid-write', 'kill-before-commit', 'kill-after-commit', 'fail-commit'] as const;
export type TestFault = (typeof TEST_FAULTS)[number];

function chosenFault(value: string | undefined): TestFault | null {
  if (value === undefined || value === '') return null;
  if (!(TEST_FAULTS as readonly string[]).includes(value)) throw new Error(`CTJP_TEST_FAULT must be one of ${TEST_FAULTS.join(', ')} (or unset); got "${value}"`);
  return value as TestFault;
}

const chosen = chosenFault(process.env.CTJP_TEST_FAULT);

/** Whether this fault is the one chosen (for a point that must act differently, e.g. write half). */
export function faultChosen(fault: TestFault): boolean {
  return chosen === fault;
}

/** Where an upload's leaf lines are written (inside its transaction) or its transaction has committed. */
export function testFaultPoint(at: 'lines-half-written' | 'lines-written' | 'committed'): void {
  if (chosen === null) return;
  if ((at === 'lines-half-written' && chosen === 'kill-mid-write') || (at === 'lines-written' && chosen === 'kill-before-commit') || (at === 'committed' && chosen === 'kill-after-commit')) {
    process.kill(process.pid, 'SIGKILL');
  }
  if (at === 'lines-written' && chosen === 'fail-commit') throw new Error('CTJP_TEST_FAULT=fail-commit: the upload fails after writing its leaf lines, before its commit');
}
