/**
 * The test logs of bench:worker's politeness part, in their own process:
 * one log per operator, behaving as that operator's logs did in 2026 (time
 * scaled: Google's one second per request is 250 ms here). Prints one JSON
 * line {logs: [{category, name, url, key, size, pageSize, allowedPerSecond, limits}]}
 * and serves until killed.
 */
import { startTestLogs, type TestLogSpec } from '../tools/testlog/index.js';

export interface OperatorProfile {
  spec: TestLogSpec & { size: number; pageSize: number };
  /** Entries per second the log's limits allow a client at most. */
  allowedPerSecond: number;
  limits: string;
}

export const PROFILES: OperatorProfile[] = [
  {
    spec: { category: 'google', name: 'argon-test', size: 30_000, pageSize: 32, aligned: true, faults: { latencyMs: 250, maxConcurrent: 12 } },
    allowedPerSecond: (12 * 32) / 0.25,
    limits: '32 per answer, aligned; 250 ms per request; 429 beyond 12 requests at once',
  },
  {
    spec: { category: 'digicert', name: 'wyvern-test', size: 128_000, pageSize: 256, faults: { latencyMs: 40, perConnection: { perSecond: 2, burst: 1 }, rateLimit: { perSecond: 8, burst: 4, retryAfter: false } } },
    allowedPerSecond: 8 * 256,
    limits: '256 per answer; 2 requests/s per connection and 8 requests/s per client, 429 without Retry-After',
  },
  {
    spec: { category: 'trustasia', name: 'hetu-test', size: 16_000, pageSize: 32, aligned: true, faults: { latencyMs: 30, rateLimit: { perSecond: 20, burst: 3, retryAfter: false } } },
    allowedPerSecond: 20 * 32,
    limits: '32 per answer, aligned; 429 without Retry-After on bursts over 20 requests/s',
  },
];

if (import.meta.url === `file://${process.argv[1]}`) {
  const tl = await startTestLogs({ seed: 'bench-operators', logs: PROFILES.map((p) => p.spec) });
  console.log(
    JSON.stringify({
      logs: PROFILES.map((p) => {
        const served = tl.logs.find((l) => l.name === p.spec.name)!;
        return { category: p.spec.category, name: p.spec.name, url: served.url, key: served.key, size: p.spec.size, pageSize: p.spec.pageSize, allowedPerSecond: p.allowedPerSecond, limits: p.limits };
      }),
    }),
  );
}
