/**
 * Certificates written as DER: distinguished names, the extensions of a TLS
 * server certificate, TBSCertificate, signatures with node:crypto, and the
 * embedded SCT list (RFC 6962 §3.3) signed by the test logs.
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import { bitString, bool, ctx, derNull, int, octets, oid, printable, seq, set, time, uintBytes, utf8 } from './der.js';

export type Attr = readonly [type: AttrType, value: string];
export type AttrType = 'C' | 'ST' | 'L' | 'O' | 'OU' | 'CN' | 'serialNumber' | 'businessCategory' | 'jurisdictionC';

const ATTR_OIDS: Record<AttrType, string> = {
  C: '2.5.4.6',
  ST: '2.5.4.8',
  L: '2.5.4.7',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
  serialNumber: '2.5.4.5',
  businessCategory: '2.5.4.15',
  jurisdictionC: '1.3.6.1.4.1.311.60.2.1.3',
};
const PRINTABLE: ReadonlySet<AttrType> = new Set(['C', 'serialNumber', 'jurisdictionC']);
/** RFC 4514 short names; other attributes are written as their dotted OID. */
const SHORT_NAMES: ReadonlySet<AttrType> = new Set(['C', 'ST', 'L', 'O', 'OU', 'CN']);

export function encodeName(attrs: readonly Attr[]): Buffer {
  return seq(...attrs.map(([t, v]) => set(seq(oid(ATTR_OIDS[t]), PRINTABLE.has(t) ? printable(v) : utf8(v)))));
}

function escapeRfc4514(v: string): string {
  let s = v.replace(/[\\,+"<>;]/g, (c) => '\\' + c);
  if (s.startsWith('#') || s.startsWith(' ')) s = '\\' + s;
  if (s.endsWith(' ')) s = s.slice(0, -1) + '\\ ';
  return s;
}

/** RFC 4514 string (last RDN first), UTF-8 kept. */
export function nameToString(attrs: readonly Attr[]): string {
  return [...attrs]
    .reverse()
    .map(([t, v]) => `${SHORT_NAMES.has(t) ? t : ATTR_OIDS[t]}=${escapeRfc4514(v)}`)
    .join(',');
}

export type SigAlg = 'sha256WithRSAEncryption' | 'ecdsa-with-SHA256' | 'ecdsa-with-SHA384';
export const SIG_ALG_OIDS: Record<SigAlg, string> = {
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  'ecdsa-with-SHA256': '1.2.840.10045.4.3.2',
  'ecdsa-with-SHA384': '1.2.840.10045.4.3.3',
};

export function sigAlgFor(key: KeyObject): SigAlg {
  if (key.asymmetricKeyType === 'rsa') return 'sha256WithRSAEncryption';
  return key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'ecdsa-with-SHA384' : 'ecdsa-with-SHA256';
}

export function algorithmIdentifier(alg: SigAlg): Buffer {
  return alg === 'sha256WithRSAEncryption' ? seq(oid(SIG_ALG_OIDS[alg]), derNull()) : seq(oid(SIG_ALG_OIDS[alg]));
}

/** A signer: the issuing key with its algorithm. */
export interface Signer {
  key: KeyObject;
  alg: SigAlg;
}

export function signTbs(tbs: Buffer, signer: Signer): Buffer {
  const hash = signer.alg === 'ecdsa-with-SHA384' ? 'sha384' : 'sha256';
  return seq(tbs, algorithmIdentifier(signer.alg), bitString(sign(hash, tbs, signer.key)));
}

export function extension(oidStr: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(oidStr), bool(true), octets(value)) : seq(oid(oidStr), octets(value));
}

/** Key identifier: SHA-1 over the SPKI (RFC 7093 allows any stable method). */
export function keyIdentifier(spki: Buffer): Buffer {
  return createHash('sha1').update(spki).digest();
}

export const OID = {
  poison: '1.3.6.1.4.1.11129.2.4.3',
  sctList: '1.3.6.1.4.1.11129.2.4.2',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  ocsp: '1.3.6.1.5.5.7.48.1',
  caIssuers: '1.3.6.1.5.5.7.48.2',
  anyPolicy: '2.5.29.32.0',
} as const;

export const ext = {
  keyUsageLeaf: (rsa: boolean): Buffer => extension('2.5.29.15', true, rsa ? Buffer.from('030205a0', 'hex') : Buffer.from('03020780', 'hex')),
  keyUsageCa: (): Buffer => extension('2.5.29.15', true, Buffer.from('03020106', 'hex')),
  extKeyUsage: (): Buffer => extension('2.5.29.37', false, seq(oid(OID.serverAuth), oid(OID.clientAuth))),
  basicConstraints: (ca: boolean, pathLen?: number): Buffer =>
    extension('2.5.29.19', true, ca ? seq(bool(true), ...(pathLen === undefined ? [] : [int(pathLen)])) : seq()),
  subjectKeyId: (spki: Buffer): Buffer => extension('2.5.29.14', false, octets(keyIdentifier(spki))),
  authorityKeyId: (issuerSpki: Buffer): Buffer => extension('2.5.29.35', false, seq(ctx(0, false, keyIdentifier(issuerSpki)))),
  aia: (ocspUrl: string | null, caIssuersUrl: string): Buffer =>
    extension(
      '1.3.6.1.5.5.7.1.1',
      false,
      seq(...(ocspUrl ? [seq(oid(OID.ocsp), ctx(6, false, Buffer.from(ocspUrl)))] : []), seq(oid(OID.caIssuers), ctx(6, false, Buffer.from(caIssuersUrl)))),
    ),
  san: (dnsNames: readonly string[]): Buffer => extension('2.5.29.17', false, seq(...dnsNames.map((n) => ctx(2, false, Buffer.from(n, 'latin1'))))),
  policies: (oids: readonly string[]): Buffer => extension('2.5.29.32', false, seq(...oids.map((o) => seq(oid(o))))),
  crlDistributionPoints: (url: string): Buffer => extension('2.5.29.31', false, seq(seq(ctx(0, true, ctx(0, true, ctx(6, false, Buffer.from(url))))))),
  poison: (): Buffer => extension(OID.poison, true, derNull()),
  sctList: (list: Buffer): Buffer => extension(OID.sctList, false, octets(list)),
};

export interface TbsFields {
  serial: Buffer;
  signatureAlg: SigAlg;
  issuer: Buffer;
  notBefore: Date;
  notAfter: Date;
  subject: Buffer;
  spki: Buffer;
  extensions: Buffer[];
}

export function encodeTbs(f: TbsFields): Buffer {
  return seq(
    ctx(0, true, int(2)),
    uintBytes(f.serial),
    algorithmIdentifier(f.signatureAlg),
    f.issuer,
    seq(time(f.notBefore), time(f.notAfter)),
    f.subject,
    f.spki,
    ctx(3, true, seq(...f.extensions)),
  );
}

const u16 = (n: number): Buffer => Buffer.of(n >> 8, n & 0xff);
const u24 = (n: number): Buffer => Buffer.of(n >> 16, (n >> 8) & 0xff, n & 0xff);
function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

export interface SctSigner {
  logId: Buffer;
  key: KeyObject;
}

/** RFC 6962 §3.2 SignedCertificateTimestamp over a precertificate entry. */
export function precertSct(log: SctSigner, timestamp: number, issuerKeyHash: Buffer, leafTbs: Buffer): Buffer {
  const signed = Buffer.concat([Buffer.of(0, 0), u64(timestamp), u16(1), issuerKeyHash, u24(leafTbs.length), leafTbs, u16(0)]);
  const sig = sign('sha256', signed, log.key);
  return Buffer.concat([Buffer.of(0), log.logId, u64(timestamp), u16(0), Buffer.of(4, 3), u16(sig.length), sig]);
}

/** SignedCertificateTimestampList (RFC 6962 §3.3), the TLS bytes inside the extension's OCTET STRING. */
export function sctListBytes(scts: readonly Buffer[]): Buffer {
  const body = Buffer.concat(scts.flatMap((s) => [u16(s.length), s]));
  return Buffer.concat([u16(body.length), body]);
}
