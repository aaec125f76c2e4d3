/**
 * The manager's test log: the real leaves of test/data/ct-real, re-stamped with increasing
 * timestamps so that window searches work, served by the test log (tools/testlog/leaf-list.ts)
 * with at most pageSize entries per get-entries answer and no extra data.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeMerkleTreeLeaf, encodeMerkleTreeLeaf } from '../../src/share/ct/index.js';
import { loadRealEntries } from '../../tools/fixtures/ct-real.js';
import { startLeafListLog } from '../../tools/testlog/leaf-list.js';

export interface TestLog {
  name: string;
  category: string;
  url: string;
  /** Base64 DER SPKI of the signing key. */
  key: string;
  leaves: Buffer[];
  close(): Promise<void>;
}

export interface TestLogOptions {
  name: string;
  category: string;
  size: number;
  pageSize?: number;
  /** Timestamp of entry i: firstTimestamp + i * stepMs. */
  firstTimestamp?: number;
  stepMs?: number;
}

/** `size` real leaves (cycled), re-stamped: entry i gets firstTimestamp + i * stepMs. */
export function makeLeaves(size: number, firstTimestamp = Date.UTC(2025, 11, 1), stepMs = 60_000): Buffer[] {
  const real = loadRealEntries().map((e) => decodeMerkleTreeLeaf(e.leafInput));
  return Array.from({ length: size }, (_, i) => {
    const e = real[i % real.length];
    return Buffer.from(encodeMerkleTreeLeaf({ ...e, timestamp: firstTimestamp + i * stepMs }));
  });
}

export async function startTestLog(o: TestLogOptions): Promise<TestLog> {
  const leaves = makeLeaves(o.size, o.firstTimestamp, o.stepMs);
  const log = await startLeafListLog({ leaves, name: o.name, category: o.category, pageSize: o.pageSize ?? 32, aligned: false });
  return { name: o.name, category: o.category, url: log.url, key: log.publicKey.toString('base64'), leaves, close: log.close };
}

/** A URL where nothing listens (a log that is shut down). */
export async function deadLogUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/`;
}
