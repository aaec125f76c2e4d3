import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Partitioner } from '../../src/analysis/partition.js';
import type { AnalysisCertificate } from '../../src/analysis/model.js';

function cert(i: number, names: string[]): AnalysisCertificate {
  return {
    id: String(i), names, notBefore: 1_700_000_000_000 + i, notAfter: 1_710_000_000_000 + i, ctTimestamp: i % 3 ? 1_700_000_001_000 + i : null,
    issuerOrg: i % 2 ? "Let's Encrypt" : null, issuerCn: i % 2 ? 'R11' : 'Some\tCA', issuerDn: `CN=CA${i % 5}`, serialHex: (i * 7919).toString(16),
    validationLevel: i % 2 ? 'DV' : 'OV', seenPrecert: i % 2 === 0, seenFinal: true,
  };
}

test('partitions give back every certificate, grouped by SAN set or by .jp name, long lines included', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ctjp-part-'));
  try {
    const huge = Array.from({ length: 6000 }, (_, k) => `h${String(k).padStart(5, '0')}.example.jp`);
    const certs = [
      ...Array.from({ length: 3000 }, (_, i) => cert(i, [`a${i % 400}.example.co.jp`, `www.a${i % 400}.example.co.jp`, 'x.example.com'].sort())),
      cert(5000, huge),
      cert(5001, huge),
    ];
    const exact = await Partitioner.create(join(dir, 'e'), certs.length, 'exact', 500);
    const perName = await Partitioner.create(join(dir, 'n'), certs.length, 'per-name', 500);
    assert.ok(exact.partitions > 1 && perName.partitions > 1);
    for (const c of certs) {
      await exact.add(c);
      await perName.add(c);
    }
    await exact.close();
    await perName.close();
    const groups = new Map<string, AnalysisCertificate[]>();
    for await (const g of exact.groups()) groups.set(g.names.join(','), [...g.certs]);
    assert.equal(groups.size, 401);
    assert.equal(groups.get(huge.join(','))!.length, 2);
    const back = [...groups.values()].flat().sort((a, b) => Number(a.id) - Number(b.id));
    assert.deepEqual(back.map((c) => ({ ...c, names: [...c.names] })), certs.map((c) => ({ ...c, issuerCn: c.issuerCn, names: [...c.names] })));
    const byName = new Map<string, number>();
    for await (const g of perName.groups()) byName.set(g.names[0], g.certs.length);
    assert.equal(byName.size, 800 + huge.length, 'only .jp names are keys');
    assert.equal(byName.get('www.a7.example.co.jp'), 8); // i = 7, 407, ..., 2807
    assert.equal(byName.get('h00042.example.jp'), 2);
    await exact.dispose();
    await perName.dispose();
    assert.deepEqual(await readdir(dir), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
