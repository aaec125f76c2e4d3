/**
 * npm run analyze -- --out DIR [--db URL] [--coverage FILE] [--no-per-name] [--batch N] [--tmp DIR]
 */
import { mkdir } from 'node:fs/promises';
import { writeReport } from '../analyze-db.js';
import { explainDbError, analyzeConfig, ANALYZE_USAGE } from '../config.js';
import { coverageFromDatabase, coverageFromFile } from '../coverage.js';
import { checkSchema, connectDb } from '../../db/read-connection.js';

/** The database read, for the error hint (set once the flags are parsed). */
let dbUrl = 'the default database';

async function main(): Promise<void> {
  const command = analyzeConfig(process.argv.slice(2));
  if (command.kind === 'help') {
    process.stdout.write(ANALYZE_USAGE);
    return;
  }
  const cfg = command.config;
  dbUrl = cfg.db;
  // The file is read before anything else, so that a bad one fails at once.
  const fromFile = cfg.coverage ? await coverageFromFile(cfg.coverage) : null;
  await mkdir(cfg.out, { recursive: true });
  const conn = await connectDb(cfg.db);
  try {
    await checkSchema(conn);
    const observation = fromFile ?? (await coverageFromDatabase(cfg.db));
    const started = Date.now();
    const { aggregates: a, input } = await writeReport(conn, cfg.out, { perName: cfg.perName, batchSize: cfg.batchSize, tmpDir: cfg.tmpDir, observation });
    const c = a.overall.classes;
    if (a.coverage.mode === 'assumed-complete') console.log(`coverage: none recorded (${a.coverage.source}); the whole data span is ASSUMED observed`);
    else console.log(`coverage: ${a.observed_periods.length} observed period(s), ${a.coverage.observed_days} days (${a.coverage.source}); ${a.totals.renewals_censored} renewals censored`);
    console.log(`read ${input.rows} certificates (${input.skipped_no_dns_name} without DNS names, ${input.invalid} invalid) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(`${a.totals.lineages} lineages: ${c.automated} automated, ${c.manual} manual, ${c.undetermined} undetermined; ${a.expiry_gaps.count} expiry gaps`);
    console.log(`report: ${cfg.out}/report.html, ${cfg.out}/summary.json`);
  } finally {
    await conn.end();
  }
}

main().catch((e: unknown) => {
  console.error(`analyze: ${explainDbError(e instanceof Error ? e.message : String(e), dbUrl)}`);
  process.exitCode = 1;
});
