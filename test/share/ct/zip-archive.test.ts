/**
 * Zips read in place over HTTP Range requests, from a real loopback server
 * that serves byte ranges as a static file host does: the central directory
 * in one or two requests, each member in one, ZIP64 and long comments, and
 * every way a zip or a server can be wrong refused with an error naming it —
 * permanently when no retry can help, as a retried BadResponse otherwise.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { after, before, test } from 'node:test';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { BadResponse, ContradictoryAnswer, HttpStatusError, LogHttp } from '../../../src/share/ct/http.js';
import { RoutePool } from '../../../src/share/ct/routes.js';
import { ZipArchive, ZipFormatError, archiveZipOf } from '../../../src/share/ct/zip-archive.js';
import { sendBytesWithRanges } from '../../../tools/testlog/range.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Paths served: a zip's bytes (with ranges), or a handler of their own. */
const files = new Map<string, Buffer | Handler>();
let server: Server;
let base: string;
/** Direct routes for the tests that call getRange without withRetries. */
const pool = new RoutePool([]);

before(async () => {
  server = createServer((req, res) => {
    const f = files.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (f === undefined) return void res.writeHead(404, { 'content-length': 0 }).end();
    if (typeof f === 'function') return f(req, res);
    sendBytesWithRanges(req, res, f, 'application/zip');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/archive/`;
});
after(async () => {
  await pool.close();
  await new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
});

const newHttp = (): LogHttp => new LogHttp(base, { maxTries: 2, backoff: { baseMs: 10, maxMs: 50 } });

let served = 0;
/** Serve `body` at a fresh path under the base; the path relative to the base. */
function serve(body: Buffer | Handler): string {
  const name = `z${served++}.zip`;
  files.set(`/archive/${name}`, body);
  return name;
}

interface Member {
  name: string;
  body: Buffer;
  compress: boolean;
}

async function makeZip(members: Member[], o: { zip64?: boolean; comment?: string } = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const m of members) zip.addBuffer(m.body, m.name, { compress: m.compress, forceZip64Format: o.zip64 ?? false });
  zip.end({ forceZip64Format: o.zip64 ?? false, comment: o.comment ?? '' });
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Where member `name`'s data begins in `zip` (read with yauzl from memory). */
async function dataOffset(zip: Buffer, name: string): Promise<number> {
  const z = await yauzl.fromBufferPromise(zip, { lazyEntries: true });
  try {
    for await (const e of z.eachEntry()) if (e.fileName === name) return (await z.readLocalFileHeaderPromise(e, { minimal: true })).fileDataStart;
  } finally {
    z.close();
  }
  throw new Error(`no member ${name}`);
}

const text = Buffer.from('static-ct-api tiles, again and again. '.repeat(200));
const members: Member[] = [
  { name: 'checkpoint', body: Buffer.from('ctjp.test/log\n700\nAAAA\n'), compress: false },
  { name: 'tile/0/000', body: randomBytes(8192), compress: false },
  { name: 'tile/data/000', body: text, compress: true },
  { name: 'tile/data/001.p/3', body: randomBytes(5000), compress: true },
  { name: 'empty', body: Buffer.alloc(0), compress: true },
];

async function assertMembers(zip: ZipArchive, http: LogHttp): Promise<void> {
  assert.equal(zip.memberCount, members.length);
  assert.deepEqual([...zip.names()].sort(), members.map((m) => m.name).sort());
  for (const m of members) {
    const before = http.stats.requests;
    assert.ok(zip.has(m.name));
    const got = await zip.read(m.name, 1 << 20);
    assert.ok(got !== null && got.equals(m.body), m.name);
    assert.equal(http.stats.requests - before, 1, `one request to read ${m.name}`);
  }
  assert.equal(zip.has('tile/0/001'), false);
  const before = http.stats.requests;
  assert.equal(await zip.read('tile/0/001', 1 << 20), null);
  assert.equal(http.stats.requests, before, 'a member the directory lacks costs no request');
}

test('a small zip: opened in one request, stored and deflated members each in one more, a missing one is null', async () => {
  const bytes = await makeZip(members);
  const http = newHttp();
  try {
    const zip = await ZipArchive.open(http, serve(bytes));
    assert.equal(http.stats.requests, 1, 'the tail holds the whole directory');
    assert.equal(zip.size, bytes.length);
    await assertMembers(zip, http);
  } finally {
    await http.close();
  }
});

test('ZIP64 zips, with and without an archive comment of the longest length, and an absolute URL', async () => {
  for (const comment of ['', 'c'.repeat(0xffff), 'x'.repeat(70_000).slice(0, 40_000)]) {
    const bytes = await makeZip(members, { zip64: true, comment });
    const http = newHttp();
    try {
      const zip = await ZipArchive.open(http, new URL(serve(bytes), base).href);
      // The longest comment fills the tail: the directory before it takes one more request.
      assert.equal(http.stats.requests, comment.length === 0xffff ? 2 : 1, `comment of ${comment.length}`);
      await assertMembers(zip, http);
    } finally {
      await http.close();
    }
  }
});

test('a directory larger than the tail comes in one more request; a cap on its size is a permanent error', async () => {
  const many: Member[] = Array.from({ length: 3000 }, (_, i) => ({ name: `tile/0/x${String(Math.floor(i / 1000)).padStart(3, '0')}/${String(i % 1000).padStart(3, '0')}-${'n'.repeat(40)}`, body: Buffer.from(`member ${i}`), compress: i % 2 === 0 }));
  const bytes = await makeZip(many, { zip64: true });
  const path = serve(bytes);
  const http = newHttp();
  try {
    const zip = await ZipArchive.open(http, path);
    assert.equal(http.stats.requests, 2);
    assert.equal(zip.memberCount, many.length);
    const before = http.stats.requests;
    for (const i of [0, 1, 1777, 2999]) assert.deepEqual(await zip.read(many[i].name, 100), many[i].body);
    assert.equal(http.stats.requests - before, 4);
    await assert.rejects(ZipArchive.open(http, path, { directoryMaxBytes: 100_000 }), (e: Error) => e instanceof ZipFormatError && e instanceof ContradictoryAnswer && /central directory is \d+ bytes, more than the 100000 accepted/.test(e.message) && e.message.includes(path));
  } finally {
    await http.close();
  }
});

test('a ZIP64 end record beyond the tail (a long extensible data sector) costs one more request: three in all', async () => {
  const bytes = await makeZip(members, { zip64: true });
  const record = bytes.length - 22 - 20 - 56;
  assert.equal(bytes.readUInt32LE(record), 0x06064b50);
  const sector = 70_000;
  const grown = Buffer.concat([bytes.subarray(0, record + 56), Buffer.alloc(sector, 0x5a), bytes.subarray(record + 56)]);
  grown.writeBigUInt64LE(BigInt(44 + sector), record + 4);
  const http = newHttp();
  try {
    const zip = await ZipArchive.open(http, serve(grown));
    assert.equal(http.stats.requests, 3);
    await assertMembers(zip, http);
  } finally {
    await http.close();
  }
});

test('a truncated zip, or bytes that are no zip, are refused at once as truncated or not a zip', async () => {
  const bytes = await makeZip(members);
  const cases = { 'end cut': bytes.subarray(0, bytes.length - 10), 'start cut': bytes.subarray(300), 'not a zip': randomBytes(1000) };
  for (const [what, body] of Object.entries(cases)) {
    const http = newHttp();
    const path = serve(body);
    try {
      await assert.rejects(ZipArchive.open(http, path), (e: Error) => e instanceof ZipFormatError && e.message.includes(`zip ${path} is truncated or not a zip`), what);
      assert.equal(http.stats.requests, 1, `${what}: not retried`);
    } finally {
      await http.close();
    }
  }
});

test('a server that ignores Range is refused before the zip is downloaded; a range past the end is HTTP 416', async () => {
  const bytes = await makeZip(members);
  const ignoring = serve((_req, res) => {
    res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
  });
  const http = newHttp();
  try {
    await assert.rejects(ZipArchive.open(http, ignoring), /server ignores Range requests/);
    assert.equal(http.stats.requests, 2, 'retried as a bad answer, up to maxTries');
    const path = serve(bytes);
    const route = pool.pick();
    await assert.rejects(http.getRange(path, route, { start: bytes.length + 10, end: bytes.length + 20 }, 100), (e: Error) => e instanceof HttpStatusError && e.status === 416);
    await assert.rejects(
      http.withRetries('past the end', (r) => http.getRange(path, r, { start: bytes.length, end: bytes.length }, 10)),
      (e: Error) => e.message === 'past the end: HTTP 416' && e.cause instanceof HttpStatusError,
    );
    // A suffix longer than the file is the whole file; a range running past the end is clipped.
    assert.deepEqual(await http.getRange(path, route, { suffix: bytes.length + 5 }, bytes.length), { body: bytes, start: 0, total: bytes.length });
    const clipped = await http.getRange(path, route, { start: bytes.length - 4, end: bytes.length + 100 }, 200);
    assert.deepEqual(clipped, { body: bytes.subarray(-4), start: bytes.length - 4, total: bytes.length });
    await assert.rejects(http.getRange(path, route, { start: 0, end: 99 }, 50), (e: Error) => e instanceof BadResponse && /range of 100 bytes is larger than 50/.test(e.message));
  } finally {
    await http.close();
  }
});

test('a 206 with a Content-Range other than asked, or none, or a longer body, is a bad answer', async () => {
  const bytes = randomBytes(1000);
  const answers: [string, Handler, RegExp][] = [
    ['other range', (_q, s) => void s.writeHead(206, { 'content-range': 'bytes 10-19/1000', 'content-length': 10 }).end(bytes.subarray(10, 20)), /Content-Range bytes 10-19\/1000 is not the range asked for \(asked bytes=0-9\)/],
    ['no Content-Range', (_q, s) => void s.writeHead(206, { 'content-length': 10 }).end(bytes.subarray(0, 10)), /206 without a valid Content-Range/],
    ['unknown total', (_q, s) => void s.writeHead(206, { 'content-range': 'bytes 0-9/*', 'content-length': 10 }).end(bytes.subarray(0, 10)), /206 without a valid Content-Range/],
    ['longer body', (_q, s) => void s.writeHead(206, { 'content-range': 'bytes 0-9/1000' }).end(bytes.subarray(0, 30)), /body is larger than 10 bytes/],
    ['shorter body', (_q, s) => void s.writeHead(206, { 'content-range': 'bytes 0-9/1000' }).end(bytes.subarray(0, 5)), /range body is 5 bytes/],
    ['gzip', (_q, s) => void s.writeHead(206, { 'content-range': 'bytes 0-9/1000', 'content-encoding': 'gzip', 'content-length': 10 }).end(bytes.subarray(0, 10)), /Content-Encoding gzip on a byte range/],
  ];
  const http = newHttp();
  const route = pool.pick();
  try {
    for (const [what, handler, error] of answers) {
      const path = serve(handler);
      await assert.rejects(http.getRange(path, route, { start: 0, end: 9 }, 100), (e: Error) => e instanceof BadResponse && error.test(e.message), what);
    }
  } finally {
    await http.close();
  }
});

test('a garbled member fails its CRC-32 check as a bad answer; a member over the cap or of another method is refused for good', async () => {
  const bytes = await makeZip(members);
  const garbled = Buffer.from(bytes);
  // Random bytes deflate to stored blocks: a flipped byte inside one still inflates, to other bytes.
  garbled[(await dataOffset(bytes, 'tile/data/001.p/3')) + 2500] ^= 0x40;
  garbled[(await dataOffset(bytes, 'tile/0/000')) + 100] ^= 0x01;
  const http = newHttp();
  try {
    const zip = await ZipArchive.open(http, serve(garbled));
    for (const name of ['tile/data/001.p/3', 'tile/0/000']) {
      const before = http.stats.requests;
      await assert.rejects(zip.read(name, 1 << 20), (e: Error) => e.cause instanceof BadResponse && e.message.includes(`zip ${zip.url} member ${name} (data at bytes `) && /CRC-32 [0-9a-f]{8}, the central directory says [0-9a-f]{8}/.test(e.message), name);
      assert.equal(http.stats.requests - before, 2, 'retried up to maxTries');
    }
    assert.deepEqual(await zip.read('tile/data/000', 1 << 20), text, 'the other members are intact');
    const before = http.stats.requests;
    await assert.rejects(zip.read('tile/data/000', text.length - 1), (e: Error) => e instanceof ZipFormatError && e.message === `zip ${zip.url} member tile/data/000 is ${text.length} bytes uncompressed, more than the ${text.length - 1} accepted`);
    assert.equal(http.stats.requests, before, 'refused from the directory, without a request');
  } finally {
    await http.close();
  }
  // Compression method 12 (bzip2) in the central directory.
  const bzip = Buffer.from(bytes);
  const name = Buffer.from('tile/data/000');
  for (let i = bzip.indexOf(Buffer.from('PK\x01\x02', 'latin1')); i >= 0; i = bzip.indexOf(Buffer.from('PK\x01\x02', 'latin1'), i + 4)) {
    if (bzip.subarray(i + 46, i + 46 + name.length).equals(name)) bzip.writeUInt16LE(12, i + 10);
  }
  const http2 = newHttp();
  try {
    const zip = await ZipArchive.open(http2, serve(bzip));
    await assert.rejects(zip.read('tile/data/000', 1 << 20), (e: Error) => e instanceof ZipFormatError && /member tile\/data\/000: compression method 12 is not supported/.test(e.message));
  } finally {
    await http2.close();
  }
});

/** A one-member stored zip written by hand, with a local extra field of `extra` bytes (more than a member read guesses). */
function zipWithLongLocalExtra(name: string, body: Buffer, extra: number): Buffer {
  const n = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc32(body), 14);
  local.writeUInt32LE(body.length, 18);
  local.writeUInt32LE(body.length, 22);
  local.writeUInt16LE(n.length, 26);
  local.writeUInt16LE(extra, 28);
  const extraField = Buffer.alloc(extra);
  extraField.writeUInt16LE(0xcafe, 0);
  extraField.writeUInt16LE(extra - 4, 2);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc32(body), 16);
  central.writeUInt32LE(body.length, 20);
  central.writeUInt32LE(body.length, 24);
  central.writeUInt16LE(n.length, 28);
  const dirOffset = 30 + n.length + extra + body.length;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(46 + n.length, 12);
  eocd.writeUInt32LE(dirOffset, 16);
  return Buffer.concat([local, n, extraField, body, central, n, eocd]);
}

test('a local extra field longer than guessed costs one more request for the rest of the data', async () => {
  const body = randomBytes(300);
  const http = newHttp();
  try {
    const zip = await ZipArchive.open(http, serve(zipWithLongLocalExtra('tile/1/000', body, 1000)));
    const before = http.stats.requests;
    assert.deepEqual(await zip.read('tile/1/000', 1000), body);
    assert.equal(http.stats.requests - before, 2);
  } finally {
    await http.close();
  }
});

test('archiveZipOf: subtree tiles in their zip, upper levels and partial hash tiles in every zip', () => {
  // The real archives: one level-2 tile (256³ entries) per zip.
  assert.equal(archiveZipOf(2, 0, 256), 0);
  assert.equal(archiveZipOf(2, 5, 256), 5);
  assert.equal(archiveZipOf(1, 256 * 3 + 255, 256), 3);
  assert.equal(archiveZipOf(0, 65_536 * 7 + 12, 256), 7);
  assert.equal(archiveZipOf('data', 65_536 * 7 + 12, 256), 7);
  assert.equal(archiveZipOf('data', 65_536 * 7 + 12, 100), 7, 'a partial data tile is in its subtree zip');
  assert.equal(archiveZipOf(0, 65_536 * 7 + 12, 100), 'any');
  assert.equal(archiveZipOf(2, 9, 3), 'any');
  assert.equal(archiveZipOf(3, 0, 256), 'any');
  assert.equal(archiveZipOf(5, 0, 1), 'any');
  // Smaller subtrees, as the tests build them.
  assert.equal(archiveZipOf('data', 5, 256, 0), 5);
  assert.equal(archiveZipOf(0, 5, 256, 0), 5);
  assert.equal(archiveZipOf(1, 0, 256, 0), 'any');
  assert.equal(archiveZipOf(1, 513, 256, 1), 513);
  assert.equal(archiveZipOf(0, 513, 256, 1), 2);
  assert.throws(() => archiveZipOf(0, -1, 256), RangeError);
  assert.throws(() => archiveZipOf(0, 0, 0), RangeError);
});
