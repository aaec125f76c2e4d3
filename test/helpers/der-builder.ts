/**
 * Test certificates written with the test log's DER writer (tools/testlog/der.ts): TBSCertificates
 * and (unsigned) certificates with chosen names, string types and extensions, including
 * out-of-spec ones a CA library would refuse to make, and the log leaves that carry them.
 */
import { encodeMerkleTreeLeaf } from '../../src/share/ct/index.js';
import { bool, ia5, octets, oid, printable, seq, set, time, tlv, utf8 } from '../../tools/testlog/der.js';

export { oid, seq, tlv };

/** An INTEGER of exactly these hex digits (a sign byte added when needed; leading zeros kept, so a test can write a non-minimal one). */
export function integer(hexDigits: string): Uint8Array {
  let h = hexDigits.length % 2 ? '0' + hexDigits : hexDigits;
  if (parseInt(h[0], 16) >= 8) h = '00' + h;
  return tlv(0x02, Buffer.from(h, 'hex'));
}

export type StringType = 'utf8' | 'printable' | 'ia5' | 'bmp' | 'teletex';

export function str(type: StringType, s: string): Uint8Array {
  switch (type) {
    case 'utf8':
      return utf8(s);
    case 'printable':
      return printable(s);
    case 'ia5':
      return ia5(s);
    case 'teletex':
      return tlv(0x14, Buffer.from(s, 'latin1'));
    case 'bmp': {
      const b = Buffer.alloc(s.length * 2);
      for (let i = 0; i < s.length; i++) b.writeUInt16BE(s.charCodeAt(i), i * 2);
      return tlv(0x1e, b);
    }
  }
}

/** [type OID, value, string type] in DER order; each attribute its own RDN. */
export type NameSpec = [string, string, StringType?][];

export function name(spec: NameSpec): Uint8Array {
  return seq(...spec.map(([t, v, st]) => set(seq(oid(t), str(st ?? (t === '2.5.4.6' ? 'printable' : 'utf8'), v)))));
}

export function extension(extnOid: string, value: Uint8Array, critical = false): Uint8Array {
  return seq(oid(extnOid), ...(critical ? [bool(true)] : []), octets(value));
}

export function sanExtension(dns: string[], extra: Uint8Array[] = []): Uint8Array {
  return extension('2.5.29.17', seq(...dns.map((d) => tlv(0x82, Buffer.from(d, 'latin1'))), ...extra));
}

// A fixed P-256 public key (any valid point works; nothing is verified).
export const EC_SPKI = Buffer.from(
  '3059301306072a8648ce3d020106082a8648ce3d03010703420004' +
    '6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296' +
    '4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5',
  'hex',
);

export interface TbsSpec {
  serialHex?: string;
  issuer?: NameSpec;
  subject?: NameSpec;
  notBefore?: Date;
  notAfter?: Date;
  extensions?: Uint8Array[];
  spki?: Uint8Array;
}

export function buildTbs(s: TbsSpec = {}): Uint8Array {
  const exts = s.extensions ?? [];
  return seq(
    tlv(0xa0, integer('02')),
    integer(s.serialHex ?? '0a1b2c3d'),
    seq(oid('1.2.840.10045.4.3.2')),
    name(s.issuer ?? [['2.5.4.6', 'US'], ['2.5.4.10', 'Test CA Inc.'], ['2.5.4.3', 'Test CA R1']]),
    seq(time(s.notBefore ?? new Date('2025-01-01T00:00:00Z')), time(s.notAfter ?? new Date('2025-03-31T23:59:59Z'))),
    name(s.subject ?? [['2.5.4.3', 'example.com']]),
    s.spki ?? EC_SPKI,
    ...(exts.length > 0 ? [tlv(0xa3, seq(...exts))] : []),
  );
}

/** A certificate around a TBS with a dummy signature (ctjp never verifies certificate signatures). */
export function buildCertificate(tbs: Uint8Array): Uint8Array {
  return seq(tbs, seq(oid('1.2.840.10045.4.3.2')), tlv(0x03, Uint8Array.of(0), seq(integer('01'), integer('02'))));
}

export function x509Leaf(cert: Uint8Array, timestamp = 1_735_689_600_000): Uint8Array {
  return encodeMerkleTreeLeaf({ timestamp, entryType: 'x509_entry', signedEntry: cert, issuerKeyHash: null });
}

export function precertLeaf(tbs: Uint8Array, timestamp = 1_735_689_600_000): Uint8Array {
  return encodeMerkleTreeLeaf({ timestamp, entryType: 'precert_entry', signedEntry: tbs, issuerKeyHash: new Uint8Array(32).fill(7) });
}
