/**
 * The CT log of the manager benchmarks: a test log (tools/testlog/leaf-list.ts) that claims a
 * large tree in a really signed get-sth and serves the real leaves of test/data/ct-real, cycled, in
 * get-entries pages of 32. The manager only plans against it; nothing scans it.
 */
import { loadRealEntries } from '../../tools/fixtures/ct-real.js';
import { startLeafListLog } from '../../tools/testlog/leaf-list.js';

export async function startFakeLog(treeSize: number): Promise<{ url: string; key: string; close: () => Promise<void> }> {
  const log = await startLeafListLog({ leaves: loadRealEntries().map((e) => e.leafInput), claimedSize: treeSize, name: 'bench', category: 'google', aligned: false });
  return { url: log.url, key: log.publicKey.toString('base64'), close: log.close };
}
