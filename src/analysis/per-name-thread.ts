/**
 * The per-name sensitivity variant, counted on a worker thread while the main thread analyses the
 * exact SAN sets. The two passes share nothing but the partition files and the judging periods, and
 * the per-name pass yields only counts, so a second core halves the analysis's group-and-classify time
 * on the machines volunteers and researchers have (two cores and more) at no cost in clarity.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { TimeSpan } from '../share/coverage.js';
import { type PerNameCounts, countPerName, newPerNameCounts } from './aggregate.js';
import { buildLineage } from './lineage.js';
import { type PartitionFiles, readGroups } from './partition.js';

interface Job {
  files: PartitionFiles;
  periods: TimeSpan[];
}

/** Counts every per-name lineage in the files (on whichever thread calls it). */
export async function countPerNameFiles(files: PartitionFiles, periods: readonly TimeSpan[]): Promise<PerNameCounts> {
  const counts = newPerNameCounts();
  for await (const g of readGroups(files)) countPerName(counts, buildLineage(g.names[0], g.names, g.certs, periods));
  return counts;
}

export interface PerNameRun {
  counts: Promise<PerNameCounts>;
  /** Stops the thread early (the main pass failed); counts then rejects. */
  stop(): Promise<void>;
}

function startThread(job: Job): Worker {
  const options = { workerData: job, resourceLimits: { maxYoungGenerationSizeMb: 96 } };
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL(self), options);
  // Run from TypeScript source: Node 20 does not carry the process's module hooks (`--import tsx`)
  // into worker threads, so the thread registers them itself before loading this module.
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((t) => t.register()).then(() => import(${JSON.stringify(self)}))`, { ...options, eval: true });
}

/**
 * Starts counting on a worker thread, which runs this module; its young generation is sized like the main thread's
 * (`--max-semi-space-size=32` in `npm run analyze`), which keeps the garbage collector's share low.
 */
export function countPerNameInThread(files: PartitionFiles, periods: readonly TimeSpan[]): PerNameRun {
  const worker = startThread({ files, periods: [...periods] });
  const counts = new Promise<PerNameCounts>((resolve, reject) => {
    let result: PerNameCounts | null = null;
    worker.once('message', (m: PerNameCounts) => (result = m));
    worker.once('error', reject);
    worker.once('exit', (code) => (result ? resolve(result) : reject(new Error(`per-name analysis thread exited with code ${code} before its counts`))));
  });
  return { counts, stop: async () => void (await worker.terminate()) };
}

if (!isMainThread && parentPort && (workerData as Job | undefined)?.files) {
  const job = workerData as Job;
  const port = parentPort;
  countPerNameFiles(job.files, job.periods).then(
    (counts) => port.postMessage(counts),
    (e: unknown) => {
      throw e;
    },
  );
}
