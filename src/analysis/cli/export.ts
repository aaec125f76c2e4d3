/**
 * npm run export -- --out FILE [--schema FILE] [--db URL] [--batch N]
 * Also writes FILE.coverage.json: the manager's coverage answer, taken before the certificates are read.
 */
import { connectDatabase } from '../../manager-api/db/connect.js';
import { coverageReport } from '../../manager-api/repositories/coverage.js';
import { exportConfig } from '../config.js';
import { connectDb } from '../db.js';
import { coverageFileOf, exportCertificates, writeCoverageFile } from '../export.js';

async function main(): Promise<void> {
  const cfg = exportConfig(process.argv.slice(2));
  const conn = await connectDb(cfg.db);
  const db = connectDatabase(cfg.db, 1);
  try {
    const coverage = await coverageReport(db, new Date());
    const n = await exportCertificates(conn, cfg.out, cfg.schema, cfg.batchSize);
    const coverageFile = coverageFileOf(cfg.out);
    await writeCoverageFile(coverageFile, coverage);
    console.log(`exported ${n} certificates to ${cfg.out} (BigQuery schema: ${cfg.schema}; coverage: ${coverageFile})`);
  } finally {
    await conn.end();
    await db.destroy();
  }
}

main().catch((e: unknown) => {
  console.error(`export: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
