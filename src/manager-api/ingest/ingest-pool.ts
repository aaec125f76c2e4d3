/**
 * Uploads are ingested in worker threads, so that the main thread's event
 * loop stays free for pings, completions, instructions and status. An upload
 * of a few hundred leaves is tens of milliseconds of CPU (JSON, base64, leaf
 * and certificate parsing, building and escaping multi-row INSERTs, writing
 * them to the database socket); on the main thread every other request queued
 * behind that work. Each thread runs the same ingestUpload over its own small
 * connection pool and its own leaf file handles, several uploads at a time;
 * the main thread only receives the body's bytes and hands them over: the
 * thread parses and checks them (upload-body.ts). A thread
 * that dies fails the uploads it held (the client retries them: uploads are
 * idempotent) and is replaced on the next upload.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { UploadResponse } from '../../share/api/index.js';
import { ApiProblem } from '../errors.js';
import type { FromThread, IngestThreadData, ToThread } from './ingest-protocol.js';

export interface IngestPoolOptions {
  dbUrl: string;
  dataDir: string;
  threads: number;
  connectionsPerThread: number;
}

interface Pending {
  resolve: (r: UploadResponse) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  exited: Promise<void>;
}

const threadUrl = new URL(`./ingest-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

function spawn(data: IngestThreadData): Worker {
  if (threadUrl.pathname.endsWith('.ts')) {
    // Running from the TypeScript sources: Node 20 does not give worker threads the
    // main thread's --import loader, so the thread registers it before loading its entry.
    const loader = import.meta.resolve('tsx/esm/api');
    const boot = `import(${JSON.stringify(loader)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(threadUrl.href)}); })`;
    return new Worker(boot, { eval: true, workerData: data, name: 'ctjp-ingest' });
  }
  return new Worker(threadUrl, { workerData: data, name: 'ctjp-ingest' });
}

export class IngestPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly o: IngestPoolOptions) {}

  /** Start the threads now rather than on the first upload. */
  start(): void {
    while (!this.closed && this.slots.length < this.o.threads) this.slots.push(this.startSlot());
  }

  private startSlot(): Slot {
    const worker = spawn({ dbUrl: this.o.dbUrl, dataDir: this.o.dataDir, connections: this.o.connectionsPerThread });
    const pending = new Map<number, Pending>();
    const failAll = (err: Error): void => {
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    };
    let lastError: Error | null = null;
    const slot: Slot = {
      worker,
      pending,
      exited: new Promise<void>((resolve) => {
        worker.once('exit', (code) => {
          const i = this.slots.indexOf(slot);
          if (i >= 0) this.slots.splice(i, 1);
          failAll(new Error(`ingest thread stopped (exit code ${code})${lastError ? `: ${lastError.message}` : ''}`));
          resolve();
        });
      }),
    };
    worker.on('error', (err) => {
      lastError = err;
    });
    worker.on('message', (m: FromThread) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if ('result' in m) p.resolve(m.result);
      else if ('problem' in m) p.reject(new ApiProblem(m.problem.statusCode, m.problem.code, m.problem.message, m.problem.extra));
      else {
        const err = new Error(m.error.message);
        if (m.error.stack) err.stack = m.error.stack;
        p.reject(err);
      }
    });
    // Idle threads do not keep the process alive; requests under way do.
    worker.unref();
    return slot;
  }

  /** Ingest one upload, its JSON body as received (the thread parses and checks it), in the least busy thread. */
  run(body: Uint8Array, friendName: string | null): Promise<UploadResponse> {
    if (this.closed) return Promise.reject(new ApiProblem(503, 'SHUTTING_DOWN', 'the manager is shutting down: retry later'));
    this.start();
    const slot = this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise<UploadResponse>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ type: 'ingest', id, body, friendName } satisfies ToThread);
    });
  }

  /** Let every thread finish the uploads it holds, close its connections and files, and end. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = [...this.slots];
    for (const s of slots) s.worker.postMessage({ type: 'close' } satisfies ToThread);
    await Promise.all(slots.map((s) => s.exited));
  }
}
