/**
 * A lean, bounded DER reader for the certificate hot path. It never copies:
 * a TLV is three offsets into the caller's buffer. Every length is checked
 * against the end of its parent, so a hostile length cannot read outside the
 * structure that contains it; callers walk a fixed schema, and the one
 * generic walk (walkStrings) keeps its own stack with a depth limit.
 */
import { isUtf8 as nodeIsUtf8 } from 'node:buffer';
import { CtDecodeError } from '../ct/index.js';

export const TAG_BOOLEAN = 0x01;
export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_OCTET_STRING = 0x04;
export const TAG_NULL = 0x05;
export const TAG_OID = 0x06;
export const TAG_UTF8 = 0x0c;
export const TAG_NUMERIC = 0x12;
export const TAG_PRINTABLE = 0x13;
export const TAG_TELETEX = 0x14;
export const TAG_IA5 = 0x16;
export const TAG_UTC_TIME = 0x17;
export const TAG_GENERALIZED_TIME = 0x18;
export const TAG_VISIBLE = 0x1a;
export const TAG_UNIVERSAL = 0x1c;
export const TAG_BMP = 0x1e;
export const TAG_SEQUENCE = 0x30;
export const TAG_SET = 0x31;

/** Deepest nesting walkStrings descends into; certificates need about 10. */
export const MAX_DEPTH = 32;

/** One TLV: the identifier byte, where it starts, where its contents start and end. */
export interface Tlv {
  tag: number;
  start: number;
  body: number;
  end: number;
}

/**
 * Read the TLV at `pos`, which must end by `limit`. Only single-byte tags
 * (all that X.509 uses) and definite lengths of up to 4 bytes are accepted;
 * `strict` also rejects non-minimal length encodings.
 */
export function readTlv(buf: Buffer, pos: number, limit: number, what: string, strict = true): Tlv {
  if (pos + 2 > limit) throw new CtDecodeError(`${what}: truncated DER header at offset ${pos}`);
  const tag = buf[pos];
  if ((tag & 0x1f) === 0x1f) throw new CtDecodeError(`${what}: multi-byte DER tag at offset ${pos}`);
  let len = buf[pos + 1];
  let body = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new CtDecodeError(`${what}: indefinite length at offset ${pos}`);
    if (n > 4) throw new CtDecodeError(`${what}: length of ${n} bytes at offset ${pos}`);
    if (body + n > limit) throw new CtDecodeError(`${what}: truncated DER length at offset ${pos}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[body + i];
    body += n;
    if (strict && (len < 0x80 || (n > 1 && buf[pos + 2] === 0))) {
      throw new CtDecodeError(`${what}: non-minimal DER length at offset ${pos}`);
    }
  }
  const end = body + len;
  if (end > limit) throw new CtDecodeError(`${what}: length ${len} at offset ${pos} overruns its parent (ends ${limit})`);
  return { tag, start: pos, body, end };
}

/** Read a TLV and insist on its tag. */
export function expectTlv(buf: Buffer, pos: number, limit: number, tag: number, what: string, strict = true): Tlv {
  const t = readTlv(buf, pos, limit, what, strict);
  if (t.tag !== tag) {
    throw new CtDecodeError(`${what}: expected tag 0x${tag.toString(16)} at offset ${pos}, found 0x${t.tag.toString(16)}`);
  }
  return t;
}

const oidCache = new Map<string, string>();
const OID_CACHE_MAX = 4096;

/** Dotted form of an OBJECT IDENTIFIER's contents; cached, since certificates repeat a few hundred OIDs. */
export function decodeOid(buf: Buffer, body: number, end: number, what: string): string {
  if (end <= body) throw new CtDecodeError(`${what}: empty OBJECT IDENTIFIER`);
  if (end - body > 64) throw new CtDecodeError(`${what}: OBJECT IDENTIFIER longer than 64 bytes`);
  const key = buf.toString('latin1', body, end);
  const hit = oidCache.get(key);
  if (hit !== undefined) return hit;
  const parts: number[] = [];
  let v = 0;
  for (let i = body; i < end; i++) {
    const b = buf[i];
    if (v === 0 && b === 0x80) throw new CtDecodeError(`${what}: non-minimal OID arc`);
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) throw new CtDecodeError(`${what}: OID arc too large`);
    if ((b & 0x80) === 0) {
      if (parts.length === 0) {
        const first = v < 40 ? 0 : v < 80 ? 1 : 2;
        parts.push(first, v - first * 40);
      } else parts.push(v);
      v = 0;
    } else if (i === end - 1) throw new CtDecodeError(`${what}: OBJECT IDENTIFIER ends inside an arc`);
  }
  const dotted = parts.join('.');
  if (oidCache.size < OID_CACHE_MAX) oidCache.set(key, dotted);
  return dotted;
}

/** Lower-case hex of a byte range. */
export function hex(buf: Buffer, start: number, end: number): string {
  return buf.toString('hex', start, end);
}

/** Serial number as lower-case hex without leading zeros ("0" for zero). */
export function integerHex(buf: Buffer, body: number, end: number): string {
  let i = body;
  while (i < end && buf[i] === 0) i++;
  if (i === end) return '0';
  const h = hex(buf, i, end);
  return h[0] === '0' ? h.slice(1) : h;
}

/** Bit length of an unsigned big-endian INTEGER body (RSA modulus, DSA p). */
export function unsignedBitLength(buf: Buffer, body: number, end: number): number {
  let i = body;
  while (i < end && buf[i] === 0) i++;
  if (i === end) return 0;
  return (end - i - 1) * 8 + (32 - Math.clz32(buf[i]));
}

/** A Buffer over the same memory (no copy), so that the native string decoders can be used on ranges. */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function hasHighByte(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] > 0x7f) return true;
  return false;
}

/**
 * Decode an ASN.1 character string. Returns null for a type that is not a
 * character string. `valid` is false when the bytes break the type's rules
 * (bad UTF-8, odd BMP length, 8-bit bytes in a 7-bit type).
 */
export function decodeString(buf: Buffer, tag: number, body: number, end: number): { text: string; valid: boolean } | null {
  switch (tag) {
    case TAG_UTF8:
      if (!hasHighByte(buf, body, end)) return { text: buf.toString('latin1', body, end), valid: true };
      return { text: buf.toString('utf8', body, end), valid: nodeIsUtf8(buf.subarray(body, end)) };
    case TAG_PRINTABLE:
    case TAG_IA5:
    case TAG_VISIBLE:
    case TAG_NUMERIC:
      return { text: buf.toString('latin1', body, end), valid: !hasHighByte(buf, body, end) };
    case TAG_TELETEX:
      // T.61 in practice carries Latin-1 in certificates.
      return { text: buf.toString('latin1', body, end), valid: true };
    case TAG_BMP: {
      if ((end - body) % 2 !== 0) return { text: buf.toString('latin1', body, end), valid: false };
      let s = '';
      for (let i = body; i < end; i += 2) s += String.fromCharCode((buf[i] << 8) | buf[i + 1]);
      return { text: s, valid: true };
    }
    case TAG_UNIVERSAL: {
      if ((end - body) % 4 !== 0) return { text: buf.toString('latin1', body, end), valid: false };
      let s = '';
      let valid = true;
      for (let i = body; i < end; i += 4) {
        const cp = buf[i] * 0x1000000 + ((buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3]);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
          valid = false;
          s += '\ufffd';
        } else s += String.fromCodePoint(cp);
      }
      return { text: s, valid };
    }
    default:
      return null;
  }
}

const two = (buf: Buffer, i: number): number => {
  const a = buf[i] - 0x30;
  const b = buf[i + 1] - 0x30;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
};

/**
 * UTCTime / GeneralizedTime to a Date. Strict: the RFC 5280 forms
 * YYMMDDHHMMSSZ and YYYYMMDDHHMMSSZ. Lenient also accepts missing seconds,
 * fractional seconds and +hhmm/-hhmm offsets, which old CAs produced.
 * Returns null when the text is not a time at all.
 */
export function decodeTime(buf: Buffer, tag: number, body: number, end: number, strict: boolean): Date | null {
  let i = body;
  let year: number;
  if (tag === TAG_UTC_TIME) {
    const yy = two(buf, i);
    if (yy < 0 || end - body < 11) return null;
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    i += 2;
  } else if (tag === TAG_GENERALIZED_TIME) {
    if (end - body < 13) return null;
    const hi = two(buf, i);
    const lo = two(buf, i + 2);
    if (hi < 0 || lo < 0) return null;
    year = hi * 100 + lo;
    i += 4;
  } else return null;
  const month = two(buf, i);
  const day = two(buf, i + 2);
  const hour = two(buf, i + 4);
  const minute = two(buf, i + 6);
  i += 8;
  let second = 0;
  if (i + 2 <= end && buf[i] >= 0x30 && buf[i] <= 0x39) {
    second = two(buf, i);
    i += 2;
  } else if (strict) return null;
  let millis = 0;
  if (i < end && (buf[i] === 0x2e || buf[i] === 0x2c)) {
    if (strict && tag === TAG_UTC_TIME) return null;
    i++;
    let scale = 100;
    while (i < end && buf[i] >= 0x30 && buf[i] <= 0x39) {
      millis += (buf[i] - 0x30) * scale;
      scale /= 10;
      i++;
    }
    millis = Math.floor(millis);
  }
  let offsetMinutes = 0;
  if (i < end && buf[i] === 0x5a) i++;
  else if (!strict && i + 5 <= end && (buf[i] === 0x2b || buf[i] === 0x2d)) {
    const oh = two(buf, i + 1);
    const om = two(buf, i + 3);
    if (oh < 0 || om < 0) return null;
    offsetMinutes = (buf[i] === 0x2b ? 1 : -1) * (oh * 60 + om);
    i += 5;
  } else if (strict) return null;
  if (i !== end && strict) return null;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return null;
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60000;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d;
}
