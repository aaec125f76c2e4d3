/** What other parts (manager API, UI) call. */
export type { AnalysisCertificate, ValidationLevel } from './model.js';
export { summarize, runAnalysis, type Summary } from './summary.js';
export { summaryFromDatabase, writeReport, analyzeDatabase } from './analyze-db.js';
export { certificatesForDomain, checkDomainName, wildcardParentOf, type DomainCertificate, type DomainCertificateItem } from './features.js';
export { exportCertificates, exportRecords, BIGQUERY_SCHEMA, type ExportRecord } from './export.js';
export { renderHtml } from './report-html.js';
export { connectDb } from '../db/read-connection.js';
