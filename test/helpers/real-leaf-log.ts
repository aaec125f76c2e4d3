/**
 * The worker's test log: the real leaves of test/data/ct-real (with their extra data) repeated to
 * the size asked for, served by the test log (tools/testlog/leaf-list.ts) with a Google-style page
 * cap (32, aligned), every request recorded, and the faults the test scripts per request.
 */
import { loadRealEntries } from '../../tools/fixtures/ct-real.js';
import type { RequestFault, RequestScript } from '../../tools/testlog/faults.js';
import { startLeafListLog, type LeafListLog } from '../../tools/testlog/leaf-list.js';

export type Fault = RequestFault;

export interface RealLeafLogOptions {
  /** Entries in the log (the real leaves, repeated; default 1000). */
  size?: number;
  /** Largest page served; answers end at a multiple of it (default 32). */
  pageSize?: number;
  /** Tree size published in get-sth (default: all entries). */
  publishedSize?: number;
  faultFor?: RequestScript;
  /** get-entries answers wait for this, so a test can change the world while a scan is under way. */
  entriesGate?: Promise<void>;
}

export interface RealLeafLog extends LeafListLog {
  /** Entry i as get-entries serves it (base64), and whether it covers a `.jp` name. */
  leaves: { leafInput: string; extraData: string; coversJp: boolean }[];
  /** Indexes of the entries that cover a `.jp` name. */
  jpIndexes: number[];
}

export async function startRealLeafLog(o: RealLeafLogOptions = {}): Promise<RealLeafLog> {
  const real = loadRealEntries();
  const size = o.size ?? 1000;
  const log = await startLeafListLog({ leaves: real.map((e) => e.leafInput), extraData: real.map((e) => e.extraData), size, pageSize: o.pageSize, publishedSize: o.publishedSize, script: o.faultFor, entriesGate: o.entriesGate, recordRequests: true });
  // One object per distinct real leaf, shared by every repetition: large logs stay small in memory.
  const distinct = real.map((e) => ({ leafInput: e.leafInput.toString('base64'), extraData: e.extraData.toString('base64'), coversJp: e.expected.covers_jp === true }));
  const leaves = Array.from({ length: size }, (_, i) => distinct[i % distinct.length]);
  return { ...log, leaves, jpIndexes: leaves.flatMap((l, i) => (l.coversJp ? [i] : [])) };
}
