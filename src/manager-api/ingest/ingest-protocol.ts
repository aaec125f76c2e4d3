/** Messages between the manager's main thread and its ingest threads. */
import type { UploadResponse } from '../../share/api/index.js';

export interface IngestThreadData {
  dbUrl: string;
  dataDir: string;
  /** Size of the thread's own connection pool. */
  connections: number;
}

/** `body`: the request's JSON bytes as received; the thread parses and checks them (upload-body.ts). */
export type ToThread = { type: 'ingest'; id: number; body: Uint8Array; friendName: string | null } | { type: 'close' };

export type FromThread =
  | { id: number; result: UploadResponse }
  /** A refusal (ApiProblem) to send to the client as it is. */
  | { id: number; problem: { statusCode: number; code: string; message: string; extra: Record<string, unknown> } }
  /** Anything else: an internal error. */
  | { id: number; error: { message: string; stack: string | null } };
