/**
 * The benchmark's CT log, in its own process so that serving does not count
 * against the scanner being measured: real leaves, 256 per page, no limits.
 * Prints one JSON line {url, key, size, jp} and serves until killed.
 */
import { startRealLeafLog } from '../test/helpers/real-leaf-log.js';

const size = Number(process.argv[2] ?? 100_000);
const pageSize = Number(process.argv[3] ?? 256);
const log = await startRealLeafLog({ size, pageSize });
// The request log would grow with every request; the benchmark does not need it.
log.requests.push = () => 0;
console.log(JSON.stringify({ url: log.url, key: log.publicKey.toString('base64'), size, jp: log.jpIndexes.length }));
