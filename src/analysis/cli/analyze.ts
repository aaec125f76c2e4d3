/**
 * npm run analyze -- --out DIR [--db URL] [--no-per-name] [--batch N] [--tmp DIR]
 */
import { mkdir } from 'node:fs/promises';
import { writeReport } from '../analyze-db.js';
import { analyzeConfig } from '../config.js';
import { connectDb } from '../db.js';

async function main(): Promise<void> {
  const cfg = analyzeConfig(process.argv.slice(2));
  await mkdir(cfg.out, { recursive: true });
  const conn = await connectDb(cfg.db);
  try {
    const started = Date.now();
    const { aggregates: a, input } = await writeReport(conn, cfg.out, { perName: cfg.perName, batchSize: cfg.batchSize, tmpDir: cfg.tmpDir });
    const c = a.overall.classes;
    console.log(`read ${input.rows} certificates (${input.skipped_no_dns_name} without DNS names, ${input.invalid} invalid) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(`${a.totals.lineages} lineages: ${c.automated} automated, ${c.manual} manual, ${c.undetermined} undetermined; ${a.expiry_gaps.count} expiry gaps`);
    console.log(`report: ${cfg.out}/report.html, ${cfg.out}/summary.json`);
  } finally {
    await conn.end();
  }
}

main().catch((e: unknown) => {
  console.error(`analyze: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
