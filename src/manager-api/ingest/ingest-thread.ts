/**
 * Entry point of an ingest thread (see ingest-pool.ts): reads the upload bodies
 * the main thread hands over and runs ingestUpload for them, with its own small connection pool
 * and its own leaf files, and answers with the result or the refusal.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connectDatabase } from '../../db/connect.js';
import { ApiProblem } from '../errors.js';
import { ingestUpload } from './ingest.js';
import { readUploadBody } from './upload-body.js';
import { LeafStore } from './leaf-store.js';
import type { FromThread, IngestThreadData, ToThread } from './ingest-protocol.js';

const port = parentPort;
if (!port) throw new Error('ingest-thread.ts runs as a worker thread of the manager');
const data = workerData as IngestThreadData;
const db = connectDatabase(data.dbUrl, data.connections);
const store = new LeafStore(data.dataDir);
const running = new Set<Promise<void>>();

async function ingest(m: Extract<ToThread, { type: 'ingest' }>): Promise<void> {
  let answer: FromThread;
  try {
    answer = { id: m.id, result: await ingestUpload(db, store, readUploadBody(m.body), m.friendName) };
  } catch (err) {
    answer =
      err instanceof ApiProblem
        ? { id: m.id, problem: { statusCode: err.statusCode, code: err.code, message: err.message, extra: err.extra } }
        : { id: m.id, error: { message: (err as Error).message ?? String(err), stack: (err as Error).stack ?? null } };
  }
  port!.postMessage(answer);
}

port.on('message', (m: ToThread) => {
  if (m.type === 'ingest') {
    const p = ingest(m).finally(() => running.delete(p));
    running.add(p);
    return;
  }
  // Close: the main thread sends no more uploads; finish those under way, then let the thread end.
  void (async () => {
    await Promise.allSettled([...running]);
    await store.close();
    await db.destroy();
    port.close();
  })();
});
