/**
 * npm run export -- --out FILE [--schema FILE] [--db URL] [--batch N]
 * Also writes FILE.coverage.json: the manager's coverage answer, taken before the certificates are read.
 */
import { connectDatabase } from '../../db/connect.js';
import { coverageReport } from '../../manager-api/repositories/coverage.js';
import { explainDbError, exportConfig, EXPORT_USAGE } from '../config.js';
import { checkSchema, connectDb } from '../../db/read-connection.js';
import { coverageFileOf, exportCertificates, writeCoverageFile } from '../export.js';

/** The database read, for the error hint (set once the flags are parsed). */
let dbUrl = 'the default database';

async function main(): Promise<void> {
  const command = exportConfig(process.argv.slice(2));
  if (command.kind === 'help') {
    process.stdout.write(EXPORT_USAGE);
    return;
  }
  const cfg = command.config;
  dbUrl = cfg.db;
  const conn = await connectDb(cfg.db);
  const db = connectDatabase(cfg.db, 1);
  try {
    await checkSchema(conn);
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
  console.error(`export: ${explainDbError(e instanceof Error ? e.message : String(e), dbUrl)}`);
  process.exitCode = 1;
});
