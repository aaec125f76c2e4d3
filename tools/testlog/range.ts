/**
 * Serving one in-memory file with single byte ranges (RFC 9110 §14), as a
 * static file host serves the archived logs' zips: the archive reader must be
 * tested against the same answers it gets from such a host, over real HTTP.
 *
 * - no Range header, or a Range this server does not take (not `bytes=`, a
 *   list of several ranges, garbage): 200 with the whole body — RFC 9110
 *   §14.2 lets a server ignore a Range header, and a client that must never
 *   download a whole file has to cope with exactly that answer;
 * - `bytes=a-b`, `bytes=a-`, `bytes=-n`: 206 with `Content-Range: bytes
 *   a-b/total`, the end clipped to the file, a suffix longer than the file
 *   being the whole file;
 * - a range that starts at or past the end (or `bytes=-0`): 416 with
 *   `Content-Range: bytes * /total` (without the space).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

type Parsed = { start: number; end: number } | 'unsatisfiable' | 'ignore';

/** The one range of `header` over `total` bytes; 'ignore' when the header is not a single byte range this server takes. */
export function parseSingleRange(header: string | undefined, total: number): Parsed {
  if (header === undefined) return 'ignore';
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (m === null || (m[1] === '' && m[2] === '')) return 'ignore';
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || total === 0) return 'unsatisfiable';
    return { start: Math.max(0, total - n), end: total - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? Infinity : Number(m[2]);
  if (end < start) return 'ignore';
  if (start >= total) return 'unsatisfiable';
  return { start, end: Math.min(end, total - 1) };
}

/** Answer a GET or HEAD for `body` honouring a single Range; other methods get 405. */
export function sendBytesWithRanges(req: IncomingMessage, res: ServerResponse, body: Buffer, contentType: string): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 }).end();
    return;
  }
  const total = body.length;
  const head = req.method === 'HEAD';
  const range = parseSingleRange(req.headers.range, total);
  const common = { 'accept-ranges': 'bytes', 'content-type': contentType };
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...common, 'content-range': `bytes */${total}`, 'content-length': 0 }).end();
    return;
  }
  if (range === 'ignore') {
    res.writeHead(200, { ...common, 'content-length': total });
    res.end(head ? undefined : body);
    return;
  }
  const part = body.subarray(range.start, range.end + 1);
  res.writeHead(206, { ...common, 'content-range': `bytes ${range.start}-${range.end}/${total}`, 'content-length': part.length });
  res.end(head ? undefined : part);
}
