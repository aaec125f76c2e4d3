/**
 * What a friend sees in the worker's output, against the real manager (MariaDB) and real test logs:
 * every lane from the first progress lines on, one line with the reason when a lane has no work
 * (not repeated at each ask), a line per completed range and per log whose target is done, and the
 * category's ETA labelled as such. Lines are checked by content and order, never by timing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from '../../src/worker/worker.js';
import { startRealLeafLog } from '../helpers/real-leaf-log.js';
import { waitFor } from '../../tools/fixtures/wait.js';
import { startManager, tempDir, workerConfig } from '../helpers/worker-env.js';

const PROGRESS = '🌐 Req:';
const VERBOSE = process.env.CTJP_TEST_VERBOSE === '1';

/** The lanes of the first block of progress lines (printed together, one line per category). */
function firstBlock(lines: string[]): string[] {
  const from = lines.findIndex((l) => l.includes(PROGRESS));
  const block: string[] = [];
  for (let i = from; i >= 0 && i < lines.length && lines[i].includes(PROGRESS); i++) {
    const lane = lines[i].split(/\s+/)[0];
    // The next block may follow at once.
    if (block.includes(lane)) break;
    block.push(lane);
  }
  return block;
}

test('every lane from the start, one no-work line per reason, completed ranges and targets, the category ETA', async () => {
  const google = await startRealLeafLog({ size: 2000, pageSize: 32 });
  const digicert = await startRealLeafLog({ size: 400, pageSize: 256 });
  // A log that never answers: its category has no work, and the manager says why it is not idle.
  const manager = await startManager(
    [
      { name: 'g1', category: 'google', log: google },
      { name: 'd1', category: 'digicert', log: digicert },
      { name: 't1', category: 'trustasia', log: { url: 'http://127.0.0.1:1/t1/', publicKey: digicert.publicKey } },
    ],
    { assignmentSize: 500 },
  );
  const spool = await tempDir('ctjp-worker-output-');
  const lines: string[] = [];
  const keep = (t: string): void => {
    lines.push(t);
    if (VERBOSE) console.log(t);
  };
  // Spaced requests keep google scanning over several status lines.
  const worker = new Worker(workerConfig('dora', manager.url, spool.dir, { exitWhenIdle: false, statusIntervalMs: 200, minRequestIntervalMs: 40 }), {
    line: keep,
    warn: keep,
  });
  const running = worker.run();
  try {
    await waitFor('both targets announced as done', () => lines.some((l) => l.startsWith('🏁 g1')) && lines.some((l) => l.startsWith('🏁 d1')), 180_000);
    await waitFor('a progress line with google\'s target done', () => lines.some((l) => l.startsWith('google') && l.includes('⏱️ category google: target done')), 60_000);

    // All three lanes in the first progress lines, trustasia waiting for work.
    assert.deepEqual(firstBlock(lines).sort(), ['digicert', 'google', 'trustasia'], lines.join('\n'));
    const firstTrustasia = lines.find((l) => l.startsWith('trustasia') && l.includes(PROGRESS))!;
    assert.match(firstTrustasia, /waiting for work/);
    assert.match(firstTrustasia, /⏱️ category trustasia: remaining target not known yet/);

    // Trustasia was asked for at every release of a google or digicert range, and said once, with its reason.
    const noWork = lines.filter((l) => l.startsWith('💤') && l.includes('trustasia'));
    assert.equal(noWork.length, 1, lines.join('\n'));
    assert.match(noWork[0], /t1 not planned yet/);
    const asksAfter = lines.slice(lines.indexOf(noWork[0])).filter((l) => /^(google|digicert): scanning/.test(l)).length;
    assert.ok(asksAfter >= 1, 'the test needs asks after the no-work line');
    assert.ok(!lines.some((l) => /the collection is finished/.test(l)), 'not idle: t1 may still answer');

    // Each completed range says so, once.
    const done = lines.filter((l) => /^✅ g1: range [\d,]+–[\d,]+ done \(lease \d+\)$/.test(l));
    const completed = await manager.app.db.selectFrom('leases').innerJoin('logs', 'logs.id', 'leases.log_id').select('leases.id').where('logs.name', '=', 'g1').where('leases.state', '=', 'completed').execute();
    assert.deepEqual(done.map((l) => Number(/lease (\d+)/.exec(l)![1])).sort((a, b) => a - b), completed.map((c) => Number(c.id)).sort((a, b) => a - b), lines.join('\n'));
    assert.ok(lines.includes('🏁 g1: its whole target (indexes 0–1,999) is scanned'));
    assert.equal(lines.filter((l) => l.startsWith('🏁 g1')).length, 1);

    // The ETA is the category's, labelled; the range's is labelled apart.
    assert.ok(lines.some((l) => /⏱️ category google: (~\S+( \S+)? left at your rate \([\d,]+ entries\)|[\d,]+ entries left \(no rate of yours yet\))/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('google') && l.includes('⏳ this range: ')));
    assert.ok(lines.every((l) => !l.includes('⏱️ ETA:')));
  } finally {
    await worker.shutdown('test over', 0);
    await running;
    await spool.remove();
    await manager.close();
    await google.close();
    await digicert.close();
  }
});

test('a worker with nothing left to do says once that the collection is finished, then exits', async () => {
  const log = await startRealLeafLog({ size: 300, pageSize: 32 });
  const manager = await startManager([{ name: 'g1', category: 'google', log }], { assignmentSize: 300 });
  const spool = await tempDir('ctjp-worker-output-');
  const spool2 = await tempDir('ctjp-worker-output-');
  try {
    const firstLines: string[] = [];
    const first = new Worker(workerConfig('erin', manager.url, spool.dir), { line: (t) => void firstLines.push(t), warn: () => {} });
    assert.equal(await first.run(), 0);
    // The last range's target line comes before the worker exits.
    assert.deepEqual(
      firstLines.filter((l) => /^(✅|🏁|💤)/.test(l)),
      ['✅ g1: range 0–299 done (lease 1)', '🏁 g1: its whole target (indexes 0–299) is scanned', '💤 no work: the collection is finished: every log’s target is scanned', '✅ delivering the spool and exiting (--exit-when-idle)'],
    );
    // The target is scanned: a second worker gets nothing, and is told why. It is erin's too: a worker
    // of another friend would be handed the audit of erin's first-hour range.
    const lines: string[] = [];
    const second = new Worker(workerConfig('erin', manager.url, spool2.dir), { line: (t) => lines.push(t), warn: (t) => lines.push(t) });
    assert.equal(await second.run(), 0);
    assert.deepEqual(
      lines.filter((l) => l.startsWith('💤')),
      ['💤 no work: the collection is finished: every log’s target is scanned'],
    );
    assert.deepEqual(firstBlock(lines), ['google']);
    const lane = lines.find((l) => l.startsWith('google'))!;
    assert.match(lane, /⏱️ category google: target done/);
    assert.match(lane, /no work left/);
  } finally {
    await spool.remove();
    await spool2.remove();
    await manager.close();
    await log.close();
  }
});
