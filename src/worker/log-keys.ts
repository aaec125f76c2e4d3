/**
 * Public keys of the logs in the built-in catalogue, so that the worker can
 * verify their tree heads. The catalogue is bundled (imported, not read from
 * disk) so that the single-file worker carries it too.
 */
import defaultLogs from '../share/logs/default-logs.json' with { type: 'json' };
import { parseCatalogue } from '../share/logs/catalogue.js';

let keys: Map<string, Uint8Array> | null = null;

function normalise(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** DER SubjectPublicKeyInfo of the log at this base URL, or null when the log is not in the built-in catalogue. */
export function knownLogKey(logUrl: string): Uint8Array | null {
  keys ??= new Map(
    parseCatalogue(defaultLogs, 'built-in catalogue').logs.flatMap((l) => (l.key ? [[normalise(l.url), Buffer.from(l.key, 'base64')] as const] : [])),
  );
  return keys.get(normalise(logUrl)) ?? null;
}
