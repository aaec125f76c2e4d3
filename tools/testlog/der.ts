/**
 * A minimal DER writer: just the ASN.1 types a TLS server certificate needs,
 * for the test log's corpus and the tests' own certificates. Writing DER directly (instead of going through an object model) keeps the
 * generation of tens of thousands of certificates down to milliseconds.
 */

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.of(tag), lengthBytes(body.length), body]);
}

export const seq = (...items: Uint8Array[]): Buffer => tlv(0x30, ...items);
export const set = (...items: Uint8Array[]): Buffer => tlv(0x31, ...items);
export const octets = (b: Uint8Array): Buffer => tlv(0x04, b);
export const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
export const printable = (s: string): Buffer => tlv(0x13, Buffer.from(s, 'latin1'));
export const ia5 = (s: string): Buffer => tlv(0x16, Buffer.from(s, 'latin1'));
export const derNull = (): Buffer => Buffer.of(0x05, 0x00);
export const bool = (v: boolean): Buffer => Buffer.of(0x01, 0x01, v ? 0xff : 0x00);
/** Context-specific tag; constructed for EXPLICIT wrappers and sequences, primitive for IMPLICIT strings. */
export const ctx = (n: number, constructed: boolean, ...content: Uint8Array[]): Buffer => tlv((constructed ? 0xa0 : 0x80) | n, ...content);

/** A non-negative INTEGER from big-endian magnitude bytes (leading zeros trimmed, sign byte added). */
export function uintBytes(b: Uint8Array): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const mag = Buffer.from(b.subarray(i));
  return tlv(0x02, mag[0] & 0x80 ? Buffer.concat([Buffer.of(0), mag]) : mag);
}

export const int = (n: number): Buffer => {
  const hex = n.toString(16);
  return uintBytes(Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex'));
};

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [parts[0] * 40 + parts[1]];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    let v = Math.floor(p / 128);
    while (v > 0) {
      chunk.unshift(0x80 | (v & 0x7f));
      v = Math.floor(v / 128);
    }
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

export const bitString = (b: Uint8Array): Buffer => tlv(0x03, Buffer.of(0), b);

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
export function time(d: Date): Buffer {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  if (d.getUTCFullYear() < 2050) return tlv(0x17, Buffer.from(digits.slice(2) + 'Z', 'latin1'));
  return tlv(0x18, Buffer.from(digits + 'Z', 'latin1'));
}
