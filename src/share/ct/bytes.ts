import { CtDecodeError } from './errors.js';

/**
 * Bounded big-endian reader over TLS-encoded structures (RFC 5246 §4).
 * Every read checks the remaining length, so hostile input ends in a
 * CtDecodeError rather than an out-of-range read.
 */
export class TlsReader {
  private pos: number;

  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, field: string): void {
    if (this.end - this.pos < n) {
      throw new CtDecodeError(`${this.what}: truncated at ${field} (need ${n} bytes at offset ${this.pos}, have ${this.end - this.pos})`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.pos++];
  }

  u16(field: string): number {
    this.need(2, field);
    const v = (this.buf[this.pos] << 8) | this.buf[this.pos + 1];
    this.pos += 2;
    return v;
  }

  u24(field: string): number {
    this.need(3, field);
    const v = (this.buf[this.pos] << 16) | (this.buf[this.pos + 1] << 8) | this.buf[this.pos + 2];
    this.pos += 3;
    return v;
  }

  /** uint64 that must fit a JS number exactly (timestamps, tree sizes). */
  u64(field: string): number {
    this.need(8, field);
    let v = 0;
    for (let i = 0; i < 8; i++) v = v * 256 + this.buf[this.pos + i];
    if (!Number.isSafeInteger(v)) throw new CtDecodeError(`${this.what}: ${field} exceeds 2^53`);
    this.pos += 8;
    return v;
  }

  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A vector with a 1..3 byte length prefix (`opaque x<0..2^24-1>`). */
  vector(lengthBytes: 1 | 2 | 3, field: string): Uint8Array {
    const n = lengthBytes === 1 ? this.u8(field) : lengthBytes === 2 ? this.u16(field) : this.u24(field);
    return this.bytes(n, field);
  }

  expectEnd(): void {
    if (this.pos !== this.end) throw new CtDecodeError(`${this.what}: ${this.end - this.pos} trailing bytes`);
  }
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

export function u24(n: number): Uint8Array {
  if (n < 0 || n > 0xffffff) throw new RangeError(`length ${n} does not fit 24 bits`);
  return Uint8Array.of((n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

export function u16(n: number): Uint8Array {
  if (n < 0 || n > 0xffff) throw new RangeError(`length ${n} does not fit 16 bits`);
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff);
}

export function u64(n: number): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

const STRICT_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64 (standard alphabet, padding) as used by RFC 6962 JSON. */
export function decodeBase64(s: string, what: string): Buffer {
  if (typeof s !== 'string') throw new CtDecodeError(`${what}: not valid base64`);
  const bytes = Buffer.from(s, 'base64');
  // Node's decoder is lenient (other alphabets, skipped characters), but what encodes back to the very
  // same text is strict base64; checking that is several times cheaper than the pattern over kilobytes
  // of leaf. The pattern still decides the rest (a text whose unused low bits are not zero is accepted).
  if (bytes.toString('base64') !== s && (s.length % 4 !== 0 || !STRICT_BASE64.test(s))) throw new CtDecodeError(`${what}: not valid base64`);
  return bytes;
}
