/**
 * The log catalogue (DESIGN.md, "Log catalogue file"): categories -> logs.
 * Loading validates every entry and names the first bad one.
 */
import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';

export interface CatalogueLog {
  category: string;
  name: string;
  /** Base URL ending in '/', so that `${url}ct/v1/get-sth` is the endpoint. */
  url: string;
  /** Base64 DER SubjectPublicKeyInfo. */
  key: string | null;
  /**
   * `"shut_down": true` in the file: the log no longer answers and will not again (its data lives
   * only in archives or mirrors). The manager still asks it now and then, but while it does not
   * answer it keeps no worker waiting for work.
   */
  shutDown: boolean;
}

export interface Catalogue {
  logs: CatalogueLog[];
}

export const DEFAULT_CATALOGUE_FILE = new URL('./default-logs.json', import.meta.url);

export class CatalogueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogueError';
  }
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CATEGORY_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export function parseCatalogue(body: unknown, source = 'catalogue'): Catalogue {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { logs?: unknown }).logs)) {
    throw new CatalogueError(`${source}: expected an object with a "logs" array`);
  }
  const raw = (body as { logs: unknown[] }).logs;
  if (raw.length === 0) throw new CatalogueError(`${source}: "logs" is empty`);
  const names = new Set<string>();
  const urls = new Set<string>();
  const logs = raw.map((entry, i): CatalogueLog => {
    const at = `${source}: logs[${i}]`;
    if (typeof entry !== 'object' || entry === null) throw new CatalogueError(`${at} is not an object`);
    const e = entry as Record<string, unknown>;
    if (typeof e.category !== 'string' || !CATEGORY_RE.test(e.category)) throw new CatalogueError(`${at}.category must be 1-32 lower-case letters, digits, _ or -`);
    if (typeof e.name !== 'string' || !NAME_RE.test(e.name)) throw new CatalogueError(`${at}.name must be 1-64 letters, digits, . _ or -`);
    if (names.has(e.name)) throw new CatalogueError(`${at}.name "${e.name}" appears twice`);
    names.add(e.name);
    if (typeof e.url !== 'string') throw new CatalogueError(`${at}.url is missing`);
    let url: URL;
    try {
      url = new URL(e.url);
    } catch {
      throw new CatalogueError(`${at}.url is not a URL: ${e.url}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CatalogueError(`${at}.url must be http(s)`);
    if (url.search || url.hash) throw new CatalogueError(`${at}.url must not have a query or fragment`);
    const base = url.href.endsWith('/') ? url.href : `${url.href}/`;
    if (base.length > 512) throw new CatalogueError(`${at}.url is longer than 512 characters`);
    if (urls.has(base)) throw new CatalogueError(`${at}.url ${base} appears twice`);
    urls.add(base);
    let key: string | null = null;
    if (e.key !== undefined && e.key !== null) {
      if (typeof e.key !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(e.key)) throw new CatalogueError(`${at}.key is not base64`);
      try {
        createPublicKey({ key: Buffer.from(e.key, 'base64'), format: 'der', type: 'spki' });
      } catch {
        throw new CatalogueError(`${at}.key is not a DER SubjectPublicKeyInfo`);
      }
      key = e.key;
    }
    if (e.shut_down !== undefined && typeof e.shut_down !== 'boolean') throw new CatalogueError(`${at}.shut_down must be true or false`);
    return { category: e.category, name: e.name, url: base, key, shutDown: e.shut_down === true };
  });
  return { logs };
}

/** Load a catalogue file, or the built-in one when file is null. */
export function loadCatalogue(file: string | URL | null): Catalogue {
  const source = file ?? DEFAULT_CATALOGUE_FILE;
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (err) {
    throw new CatalogueError(`cannot read catalogue ${String(source)}: ${(err as Error).message}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new CatalogueError(`${String(source)}: not JSON (${(err as Error).message})`);
  }
  return parseCatalogue(body, String(source));
}
