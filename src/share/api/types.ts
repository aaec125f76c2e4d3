/**
 * TypeScript types of the manager API, derived from the JSON Schemas in schemas.ts (which are what
 * is enforced). Snake case, as on the wire. Type-only: importing it loads no schema code.
 */
import type { Static } from 'typebox';
import type * as S from './schemas.js';

export type ApiError = Static<typeof S.errorSchema>;
export type StaleLeaseError = Static<typeof S.staleLeaseErrorSchema>;
export type ForeignLeaseError = Static<typeof S.foreignLeaseErrorSchema>;

export type Directives = Static<typeof S.directivesSchema>;
export type RegisterRequest = Static<typeof S.registerRequestSchema>;
export type WorkerIdentity = RegisterRequest;
export type RegisterResponse = Static<typeof S.registerResponseSchema>;
export type InstructionsRequest = Static<typeof S.instructionsRequestSchema>;
export type Assignment = Static<typeof S.assignmentSchema>;
export type InstructionsResponse = Static<typeof S.instructionsResponseSchema>;

export type UploadItem = Static<typeof S.uploadItemSchema>;
export type UploadRequest = Static<typeof S.uploadRequestSchema>;
export type UploadResponse = Static<typeof S.uploadResponseSchema>;

export type LeaseReport = Static<typeof S.leaseReportSchema>;
/**
 * CT timestamps (ms since the epoch) of the first and last entries of the stretch a report
 * confirms. Both or neither; absent (an older worker) leaves the stretch's time unknown.
 */
export type StretchTimestamps = Pick<LeaseReport, 'first_timestamp' | 'last_timestamp'>;
export type PingRequest = Static<typeof S.pingRequestSchema>;
export type PingResponse = Static<typeof S.pingResponseSchema>;
export type LeaseVerification = Static<typeof S.leaseVerificationSchema>;
export type CompleteRequest = Static<typeof S.completeRequestSchema>;
export type CompleteResponse = Static<typeof S.completeResponseSchema>;
export type TerminateRequest = Static<typeof S.terminateRequestSchema>;
export type TerminateResponse = Static<typeof S.terminateResponseSchema>;

export type StatusQuery = Static<typeof S.statusQuerySchema>;
export type StatusResponse = Static<typeof S.statusResponseSchema>;
export type CategoryStatus = Static<typeof S.categoryStatusSchema>;
export type LogStatus = Static<typeof S.logStatusSchema>;
export type LogAudit = Static<typeof S.logAuditSchema>;
export type StalledLease = Static<typeof S.stalledLeaseSchema>;
export type LeaseStatus = Static<typeof S.leaseStatusSchema>;
export type WorkerStatus = Static<typeof S.workerStatusSchema>;
export type WorkerFlag = Static<typeof S.workerFlagSchema>;
export type FlagEvidence = Static<typeof S.flagEvidenceSchema>;
/** A CT log's read API, as the catalogue says. */
export type LogApi = LogStatus['api'];
/** Where a log's entries are read: its own URL, a mirror, or its zip archives. */
export type ReadFrom = LogStatus['read_from'];

export type ReplanResponse = Static<typeof S.replanResponseSchema>;
export type DirectivesUpdate = Static<typeof S.directivesUpdateSchema>;

export type CoverageResponse = Static<typeof S.coverageResponseSchema>;
export type LogCoverage = Static<typeof S.logCoverageSchema>;
export type CoverageStretchJson = Static<typeof S.coverageStretchSchema>;

export type ClearWorkerRequest = NonNullable<Static<typeof S.clearWorkerRequestSchema>>;
export type ClearWorkerResponse = Static<typeof S.clearWorkerResponseSchema>;
