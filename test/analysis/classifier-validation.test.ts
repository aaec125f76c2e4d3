/**
 * The automation classifier on lineages it was not tuned on (issue #15): the thresholds were tuned on
 * TUNING_SET and are reported on VALIDATION_SET, generated with another seed and other lineage
 * parameters (test/helpers/classifier-sets.ts). Both confusion matrices are printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarize } from '../../src/analysis/summary.js';
import { HOLDOUT_SET, TUNING_SET, VALIDATION_SET } from '../helpers/classifier-sets.js';
import { type GenerateOptions, generateLineages } from '../../tools/fixtures/synthetic-lineages.js';

const LABELS = ['automated', 'manual', 'undetermined'] as const;

async function confusion(name: string, spec: GenerateOptions): Promise<{ correct: number; decided: number }> {
  const truth = generateLineages(spec);
  const byKey = new Map(truth.map((t) => [t.names.join(','), t]));
  const s = await summarize(truth.flatMap((t) => t.certs));
  const m = Object.fromEntries(LABELS.map((a) => [a, Object.fromEntries(LABELS.map((b) => [b, 0]))])) as Record<string, Record<string, number>>;
  const wrong: string[] = [];
  for (const l of s.lineages) {
    const t = byKey.get(l.names.join(','));
    assert.ok(t, `lineage ${l.names.join(',')} was not generated`);
    m[t.truth][l.class]++;
    if (t.truth !== l.class) wrong.push(`${t.behaviour} → ${l.class}: ${l.evidence.signals.join('; ')}`);
  }
  console.log(`${name} (seed ${spec.seed}, ${truth.length} lineages; rows: truth, columns: class)`);
  console.table(m);
  if (wrong.length) console.log(wrong.slice(0, 10).join('\n'));
  const decided = truth.filter((t) => t.truth !== 'undetermined').length;
  const correct = m.automated.automated + m.manual.manual;
  console.log(`${name}: ${correct}/${decided} = ${((100 * correct) / decided).toFixed(1)}% classified right`);
  assert.equal(m.undetermined.undetermined, truth.filter((t) => t.truth === 'undetermined').length);
  return { correct, decided };
}

test('classifier: ≥ 95% right on the tuning set, on a validation set and on an untouched hold-out set, each of its own seed and parameters', async () => {
  const a = await confusion('tuning set', TUNING_SET);
  const b = await confusion('validation set', VALIDATION_SET);
  const c = await confusion('hold-out set', HOLDOUT_SET);
  assert.ok(a.correct / a.decided >= 0.95, `tuning set ${a.correct}/${a.decided}`);
  assert.ok(b.correct / b.decided >= 0.95, `validation set ${b.correct}/${b.decided}`);
  assert.ok(c.correct / c.decided >= 0.95, `hold-out set ${c.correct}/${c.decided}`);
});

test('classifier: a yearly lineage renewed late by hand, once on a Saturday, is manual; so is one renewed after expiry', async () => {
  for (const behaviour of ['manual-late-weekend', 'manual-after-expiry'] as const) {
    for (const seed of [1, 2, 3]) {
      const [t] = generateLineages({ seed, idOffset: 90_000 + seed, start: Date.UTC(2024, 0, 1), end: Date.UTC(2027, 6, 1), perBehaviour: { [behaviour]: 1 } });
      const s = await summarize(t.certs);
      const l = s.lineages[0];
      assert.equal(l.class, 'manual', `${behaviour} seed ${seed}: ${l.evidence.signals.join('; ')}`);
      if (behaviour === 'manual-late-weekend') assert.ok(l.evidence.off_hours_issuances >= 1, 'it has its Saturday issuance');
      else assert.ok(l.evidence.expiry_gaps >= 1 && l.evidence.signals.some((x) => /after expiry/.test(x)));
    }
  }
});
