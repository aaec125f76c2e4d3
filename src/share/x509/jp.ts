/**
 * The `.jp` decision. A certificate covers `.jp` when one of its DNS
 * identifiers (SAN dNSNames, and subject CNs that are DNS names) is `jp` or
 * ends in `.jp`, compared case-insensitively, without a trailing dot, after
 * IDNA mapping of Unicode names. `mayCoverJp` is the byte-level prefilter in
 * front of it: it may say yes wrongly, never no wrongly.
 */
import { domainToASCII } from 'node:url';

// Characters seen in DNS identifiers of real certificates: LDH, '_' (service
// labels), '*' (wildcards), '?' (redacted labels, pre-2018 CT practice).
const LABEL = /^[a-z0-9_*?-]+$/;
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

/**
 * The name in the form it is compared in: ASCII (A-labels), lower case, no
 * trailing dot; null when it is not shaped like a DNS name at all (URLs,
 * e-mail addresses, free text, empty labels).
 */
export function normalizeDnsName(name: string): string | null {
  let n = name;
  if (!PRINTABLE_ASCII.test(n)) {
    n = domainToASCII(n);
    if (n === '') return null;
  }
  n = n.toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  if (n === '' || n.length > 253) return null;
  for (const label of n.split('.')) if (!LABEL.test(label)) return null;
  return n;
}

/** True for `jp` and every name under `.jp` (wildcards, IDNs, trailing dot included). */
export function isJpDnsName(name: string): boolean {
  // Fast no for the common case: the name ends in two ASCII characters other than "jp" (an optional
  // trailing dot aside). IDNA maps only non-ASCII characters, so such a name can never end in "jp".
  let e = name.length;
  if (e > 0 && name.charCodeAt(e - 1) === 0x2e) e--;
  if (e >= 2) {
    const last = name.charCodeAt(e - 1);
    const before = name.charCodeAt(e - 2);
    if (last < 0x80 && before < 0x80 && ((last | 0x20) !== 0x70 || (before | 0x20) !== 0x6a)) return false;
  }
  const n = normalizeDnsName(name);
  return n !== null && (n === 'jp' || n.endsWith('.jp'));
}

/** The `.jp` names among a certificate's DNS identifiers: distinct, sorted, as written in the certificate. */
export function jpNamesOf(sanDns: readonly string[], subjectCns: readonly string[]): string[] {
  const out = new Set<string>();
  for (const n of sanDns) if (isJpDnsName(n)) out.add(n);
  for (const n of subjectCns) if (isJpDnsName(n)) out.add(n);
  return [...out].sort();
}

// ---------------------------------------------------------------- prefilter

const DOT = 0x2e;

/** A byte that may continue a DNS label after ".jp" ('0' and '1' excluded: they are also the DER tags SEQUENCE and SET, which follow a name at the end of its structure). */
function continuesLabel(b: number): boolean {
  return (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x32 && b <= 0x39) || b === 0x2d || b === 0x5f;
}

// Every case of "jp"; each hit is then judged by the bytes around it.
const JP_VARIANTS = [Buffer.from('jp'), Buffer.from('jP'), Buffer.from('Jp'), Buffer.from('JP')];
const CN_OID = Buffer.from([0x06, 0x03, 0x55, 0x04, 0x03]);
const SAN_OID = Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x11]);

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Whether the leaf may hold a `.jp` DNS identifier. Looks for, in any case:
 * ".jp" followed by a byte that cannot continue a label (covers wildcards,
 * trailing dots, A-label IDNs under .jp, names at the end of their string),
 * a whole string "jp" or "jp." (length byte 2 or 3 in front), and — because
 * Unicode names are mapped through IDNA before matching — any subject or
 * issuer CN or SAN dNSName that is not plain ASCII.
 */
export function mayCoverJp(leafInput: Uint8Array): boolean {
  const buf = asBuffer(leafInput);
  for (const v of JP_VARIANTS) {
    let i = buf.indexOf(v, 1);
    while (i !== -1) {
      const before = buf[i - 1];
      const after = i + 2 < buf.length ? buf[i + 2] : -1;
      if (before === DOT && (after === -1 || !continuesLabel(after))) return true;
      if (before === 2) return true;
      if (before === 3 && after === DOT) return true;
      i = buf.indexOf(v, i + 1);
    }
  }
  return hasNonAsciiCn(buf) || hasNonAsciiSanDns(buf);
}

/** A string value that is not plain 7-bit text, or a type that is not byte-per-character. */
function nonAsciiString(buf: Buffer, pos: number): boolean {
  if (pos + 2 > buf.length) return false;
  const tag = buf[pos];
  if (tag === 0x1e || tag === 0x1c) return true; // BMPString, UniversalString
  let len = buf[pos + 1];
  let body = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 2 || body + n > buf.length) return true; // odd encodings go to the full parser
    len = n === 1 ? buf[body] : (buf[body] << 8) | buf[body + 1];
    body += n;
  }
  const end = Math.min(buf.length, body + len);
  for (let i = body; i < end; i++) if (buf[i] >= 0x80) return true;
  return false;
}

function hasNonAsciiCn(buf: Buffer): boolean {
  let i = buf.indexOf(CN_OID);
  while (i !== -1) {
    if (nonAsciiString(buf, i + CN_OID.length)) return true;
    i = buf.indexOf(CN_OID, i + CN_OID.length);
  }
  return false;
}

/** Walks each SAN extension's GeneralNames (bounded by the buffer) looking for dNSNames with 8-bit bytes. */
function hasNonAsciiSanDns(buf: Buffer): boolean {
  let i = buf.indexOf(SAN_OID);
  while (i !== -1) {
    let p = i + SAN_OID.length;
    if (buf[p] === 0x01) p += 2 + buf[p + 1]; // critical flag
    // OCTET STRING, then SEQUENCE: skip both headers.
    for (let k = 0; k < 2 && p < buf.length; k++) {
      const l = buf[p + 1];
      p += 2 + (l & 0x80 ? l & 0x7f : 0);
    }
    let guard = 0;
    while (p + 2 <= buf.length && guard++ < 100000) {
      const tag = buf[p];
      if (tag < 0x80 || tag > 0xa8) break; // past the GeneralNames
      let len = buf[p + 1];
      let body = p + 2;
      if (len & 0x80) {
        const n = len & 0x7f;
        if (n === 0 || n > 3 || body + n > buf.length) return true;
        len = 0;
        for (let k = 0; k < n; k++) len = len * 256 + buf[body + k];
        body += n;
      }
      const end = Math.min(buf.length, body + len);
      if (tag === 0x82) for (let k = body; k < end; k++) if (buf[k] >= 0x80) return true;
      p = end;
    }
    i = buf.indexOf(SAN_OID, i + SAN_OID.length);
  }
  return false;
}
