/**
 * npm run export -- --out FILE [--schema FILE] [--db URL] [--batch N]
 */
import { exportConfig } from '../config.js';
import { connectDb } from '../db.js';
import { exportCertificates } from '../export.js';

async function main(): Promise<void> {
  const cfg = exportConfig(process.argv.slice(2));
  const conn = await connectDb(cfg.db);
  try {
    const n = await exportCertificates(conn, cfg.out, cfg.schema, cfg.batchSize);
    console.log(`exported ${n} certificates to ${cfg.out} (BigQuery schema: ${cfg.schema})`);
  } finally {
    await conn.end();
  }
}

main().catch((e: unknown) => {
  console.error(`export: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
