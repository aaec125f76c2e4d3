/**
 * X.501 Names: decoded attribute by attribute, then written as RFC 4514
 * strings (last RDN first; only RFC 4514's short names, other types as
 * dotted OIDs; UTF-8 kept, not escaped to hex).
 */
import { CtDecodeError } from '../ct/index.js';
import { TAG_OID, TAG_SEQUENCE, TAG_SET, decodeOid, decodeString, expectTlv, hex, readTlv } from './der.js';

export const OID_CN = '2.5.4.3';
export const OID_O = '2.5.4.10';

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

export interface NameAttribute {
  oid: string;
  value: string;
  /** Index of the RDN (SET) this attribute belongs to, in DER order. */
  rdn: number;
  /** The value was not a character string and is given in RFC 4514 '#' hex form. */
  isHex: boolean;
}

export interface DecodedName {
  attributes: NameAttribute[];
  /** False when some value broke its string type's rules (decoded anyway). */
  valid: boolean;
}

/** Decode a Name whose SEQUENCE occupies [start, limit). */
export function decodeName(buf: Buffer, pos: number, limit: number, what: string, strict: boolean): { name: DecodedName; end: number } {
  const seq = expectTlv(buf, pos, limit, TAG_SEQUENCE, what, strict);
  const attributes: NameAttribute[] = [];
  let valid = true;
  let rdn = 0;
  for (let p = seq.body; p < seq.end; rdn++) {
    const set = expectTlv(buf, p, seq.end, TAG_SET, `${what} RDN`, strict);
    if (set.body === set.end) throw new CtDecodeError(`${what}: empty RDN`);
    for (let q = set.body; q < set.end; ) {
      const atv = expectTlv(buf, q, set.end, TAG_SEQUENCE, `${what} attribute`, strict);
      const type = expectTlv(buf, atv.body, atv.end, TAG_OID, `${what} attribute type`, strict);
      const oid = decodeOid(buf, type.body, type.end, `${what} attribute type`);
      const v = readTlv(buf, type.end, atv.end, `${what} attribute value`, strict);
      if (v.end !== atv.end) throw new CtDecodeError(`${what}: trailing bytes in attribute ${oid}`);
      const s = decodeString(buf, v.tag, v.body, v.end);
      let value: string;
      const isHex = s === null;
      if (s === null) value = '#' + hex(buf, v.start, v.end);
      else {
        value = s.text;
        if (!s.valid) valid = false;
      }
      attributes.push({ oid, value, rdn, isHex });
      q = atv.end;
    }
    p = set.end;
  }
  return { name: { attributes, valid }, end: seq.end };
}

/** RFC 4514 §2.4 escaping, as Python cryptography's rfc4514_string does it. */
const NEEDS_ESCAPE = /[\\"+,;<>\0]|^[# ]| $/;

export function escapeDnValue(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return v;
  let out = v.replace(/[\\"+,;<>]/g, (c) => '\\' + c).replace(/\0/g, '\\00');
  if (out[0] === '#' || out[0] === ' ') out = '\\' + out;
  if (out.endsWith(' ') && !out.endsWith('\\ ')) out = out.slice(0, -1) + '\\ ';
  return out;
}

/** The RFC 4514 string: RDNs last first, multi-valued RDNs joined by '+'. */
export function formatDn(name: DecodedName): string {
  const rdns: string[] = [];
  let current = -1;
  for (const a of name.attributes) {
    const part = `${SHORT_NAMES[a.oid] ?? a.oid}=${a.isHex ? a.value : escapeDnValue(a.value)}`;
    if (a.rdn === current) rdns[rdns.length - 1] += '+' + part;
    else {
      rdns.push(part);
      current = a.rdn;
    }
  }
  return rdns.reverse().join(',');
}

/** Values of one attribute type, in DER order. */
export function attributeValues(name: DecodedName, oid: string): string[] {
  const out: string[] = [];
  for (const a of name.attributes) if (a.oid === oid) out.push(a.value);
  return out;
}

export function firstAttribute(name: DecodedName, oid: string): string | null {
  for (const a of name.attributes) if (a.oid === oid) return a.value;
  return null;
}
