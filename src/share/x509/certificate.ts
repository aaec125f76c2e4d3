/**
 * Certificate field extraction with the lean DER reader. A strict pass
 * follows RFC 5280 closely; when it refuses a certificate (common in CT:
 * non-minimal lengths, odd times, extensions with wrong contents), a lenient
 * pass keeps what can be read (names, dates, serial, key, every extension
 * that still decodes) and says what it tolerated in `parseNotes`.
 */
import { hash } from 'node:crypto';
import { CtDecodeError } from '../ct/index.js';
import {
  TAG_BIT_STRING,
  TAG_BOOLEAN,
  TAG_INTEGER,
  TAG_NULL,
  TAG_OCTET_STRING,
  TAG_OID,
  TAG_SEQUENCE,
  asBuffer,
  decodeOid,
  decodeString,
  decodeTime,
  expectTlv,
  integerHex,
  readTlv,
  unsignedBitLength,
  type Tlv,
} from './der.js';
import { isJpDnsName } from './jp.js';
import { OID_CN, OID_O, attributeValues, decodeName, firstAttribute, formatDn, type DecodedName } from './names.js';
import { decodeSctList, type Sct } from './scts.js';

export interface CertificateFields {
  /** RFC 4514, UTF-8 kept. */
  subjectDn: string;
  issuerDn: string;
  /** First subject CN in DER order. */
  commonName: string | null;
  /** Every subject CN in DER order (some certificates carry several). */
  commonNames: string[];
  issuerCommonName: string | null;
  /** The CA: first O of the issuer. */
  issuerOrganization: string | null;
  subjectOrganization: string | null;
  sanDns: string[];
  sanIp: string[];
  sanEmail: string[];
  /** Lower-case hex, no leading zeros. */
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  /** Hex SHA-256 of the DER given (certificate, or TBS for precert leaves). */
  sha256: string;
  tbsSha256: string;
  spkiSha256: string;
  keyAlgorithm: 'RSA' | 'EC' | 'Ed25519' | 'DSA' | string;
  keySize: number | null;
  ecCurve: string | null;
  /** Dotted OID from the TBS signature field. */
  signatureAlgorithm: string;
  hasCrlDistributionPoints: boolean;
  crlUrls: string[];
  policyOids: string[];
  validationLevel: 'DV' | 'OV' | 'EV' | 'IV' | 'unknown';
  isWildcard: boolean;
  /** Entries in the SAN extension (DNS, IP, e-mail and the rest). */
  sanCount: number;
  /** Whole days, both ends inclusive as RFC 5280 counts them: (notAfter − notBefore + 1 s) / 1 day, rounded. */
  validityDays: number;
  isCa: boolean | null;
  hasCtPoison: boolean;
  hasEmbeddedScts: boolean;
  /**
   * The embedded SCTs (v1), in list order: which logs the precertificate went to, and when. Empty
   * without the extension; also empty, with a parse note, when the list is malformed.
   */
  scts: Sct[];
  extensionOids: string[];
  parseMode: 'strict' | 'lenient';
  /** What the lenient pass tolerated or skipped (empty in strict mode). */
  parseNotes: string[];
  /** False when the SAN extension was present but could not be read: the .jp decision is then unsure. */
  dnsNamesComplete: boolean;
}

const OID_SAN = '2.5.29.17';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_CRL_DP = '2.5.29.31';
const OID_POLICIES = '2.5.29.32';
const OID_CT_POISON = '1.3.6.1.4.1.11129.2.4.3';
const OID_CT_SCTS = '1.3.6.1.4.1.11129.2.4.2';
const OID_OCSP_NOCHECK = '1.3.6.1.5.5.7.48.1.5';
const OID_JURISDICTION_C = '1.3.6.1.4.1.311.60.2.1.3';
const OID_BUSINESS_CATEGORY = '2.5.4.15';

const POLICY_LEVEL: Record<string, CertificateFields['validationLevel']> = {
  '2.23.140.1.1': 'EV',
  '2.23.140.1.2.1': 'DV',
  '2.23.140.1.2.2': 'OV',
  '2.23.140.1.2.3': 'IV',
};

const KEY_ALGORITHMS: Record<string, string> = {
  '1.2.840.113549.1.1.1': 'RSA',
  '1.2.840.113549.1.1.10': 'RSA',
  '1.2.840.10045.2.1': 'EC',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
  '1.2.840.10040.4.1': 'DSA',
};

const CURVES: Record<string, [string, number]> = {
  '1.2.840.10045.3.1.7': ['secp256r1', 256],
  '1.3.132.0.34': ['secp384r1', 384],
  '1.3.132.0.35': ['secp521r1', 521],
  '1.3.132.0.10': ['secp256k1', 256],
  '1.3.132.0.33': ['secp224r1', 224],
  '1.2.840.10045.3.1.1': ['secp192r1', 192],
  '1.3.36.3.3.2.8.1.1.7': ['brainpoolP256r1', 256],
  '1.3.36.3.3.2.8.1.1.11': ['brainpoolP384r1', 384],
  '1.3.36.3.3.2.8.1.1.13': ['brainpoolP512r1', 512],
};

const DAY_MS = 86_400_000;

function sha256Hex(buf: Buffer, start: number, end: number): string {
  return hash('sha256', start === 0 && end === buf.length ? buf : buf.subarray(start, end), 'hex');
}

/** Mutable state of one pass over a TBSCertificate. */
interface Pass {
  buf: Buffer;
  strict: boolean;
  notes: string[];
}

function fail(what: string): never {
  throw new CtDecodeError(what);
}

/** In strict mode a defect ends the pass; in lenient mode it is noted and the pass goes on. */
function tolerate(p: Pass, reason: string): void {
  if (p.strict) fail(reason);
  p.notes.push(reason);
}

function readTime(p: Pass, pos: number, limit: number, what: string): { date: Date; end: number } {
  const t = readTlv(p.buf, pos, limit, what, p.strict);
  let d = decodeTime(p.buf, t.tag, t.body, t.end, true);
  if (d === null) {
    d = decodeTime(p.buf, t.tag, t.body, t.end, false);
    if (d === null) fail(`${what}: not a valid UTCTime/GeneralizedTime`);
    tolerate(p, `${what}: time not in RFC 5280 form`);
  }
  return { date: d, end: t.end };
}

interface KeyInfo {
  keyAlgorithm: string;
  keySize: number | null;
  ecCurve: string | null;
}

function readKey(p: Pass, spki: Tlv): KeyInfo {
  const { buf } = p;
  const alg = expectTlv(buf, spki.body, spki.end, TAG_SEQUENCE, 'SubjectPublicKeyInfo algorithm', p.strict);
  const oidTlv = expectTlv(buf, alg.body, alg.end, TAG_OID, 'SubjectPublicKeyInfo algorithm OID', p.strict);
  const oid = decodeOid(buf, oidTlv.body, oidTlv.end, 'SubjectPublicKeyInfo algorithm OID');
  const keyAlgorithm = KEY_ALGORITHMS[oid] ?? oid;
  const bits = expectTlv(buf, alg.end, spki.end, TAG_BIT_STRING, 'SubjectPublicKeyInfo key', p.strict);
  if (bits.end !== spki.end) tolerate(p, 'SubjectPublicKeyInfo: trailing bytes');
  if (bits.body === bits.end) fail('SubjectPublicKeyInfo: empty BIT STRING');
  const keyStart = bits.body + 1; // skip the unused-bits count
  try {
    if (keyAlgorithm === 'RSA') {
      const seq = expectTlv(buf, keyStart, bits.end, TAG_SEQUENCE, 'RSA public key', p.strict);
      const n = expectTlv(buf, seq.body, seq.end, TAG_INTEGER, 'RSA modulus', p.strict);
      return { keyAlgorithm, keySize: unsignedBitLength(buf, n.body, n.end), ecCurve: null };
    }
    if (keyAlgorithm === 'EC') {
      const params = readTlv(buf, oidTlv.end, alg.end, 'EC parameters', p.strict);
      if (params.tag !== TAG_OID) return { keyAlgorithm, keySize: null, ecCurve: null }; // explicit curve parameters
      const curveOid = decodeOid(buf, params.body, params.end, 'EC curve');
      const known = CURVES[curveOid];
      return { keyAlgorithm, keySize: known ? known[1] : null, ecCurve: known ? known[0] : curveOid };
    }
    if (keyAlgorithm === 'Ed25519') return { keyAlgorithm, keySize: 256, ecCurve: null };
    if (keyAlgorithm === 'Ed448') return { keyAlgorithm, keySize: 456, ecCurve: null };
    if (keyAlgorithm === 'DSA') {
      const params = expectTlv(buf, oidTlv.end, alg.end, TAG_SEQUENCE, 'DSA parameters', p.strict);
      const prime = expectTlv(buf, params.body, params.end, TAG_INTEGER, 'DSA p', p.strict);
      return { keyAlgorithm, keySize: unsignedBitLength(buf, prime.body, prime.end), ecCurve: null };
    }
  } catch (e) {
    if (!(e instanceof CtDecodeError)) throw e;
    tolerate(p, `public key: ${e.message}`);
  }
  return { keyAlgorithm, keySize: null, ecCurve: null };
}

interface ExtensionFacts {
  extensionOids: string[];
  sanDns: string[];
  sanIp: string[];
  sanEmail: string[];
  sanCount: number;
  sanOk: boolean;
  crlPresent: boolean;
  crlUrls: string[];
  policyOids: string[];
  isCa: boolean | null;
  scts: Sct[];
}

function ipText(buf: Buffer, body: number, end: number): string {
  const len = end - body;
  if (len === 4) return `${buf[body]}.${buf[body + 1]}.${buf[body + 2]}.${buf[body + 3]}`;
  if (len === 16) {
    const groups: string[] = [];
    for (let i = body; i < end; i += 2) groups.push(((buf[i] << 8) | buf[i + 1]).toString(16));
    return groups.join(':');
  }
  // Name-constraint style address/mask or garbage: keep it visible as hex.
  return buf.toString('hex', body, end);
}

/** The text of a dNSName: IA5 is 7-bit, but out-of-spec UTF-8 is kept readable so that the IDNA step can judge it. */
function dnsText(buf: Buffer, body: number, end: number): string {
  const s = decodeString(buf, 0x0c, body, end);
  if (s && s.valid) return s.text;
  return buf.toString('latin1', body, end);
}

function readSan(p: Pass, body: number, end: number, f: ExtensionFacts): void {
  const { buf } = p;
  const seq = expectTlv(buf, body, end, TAG_SEQUENCE, 'subjectAltName', p.strict);
  if (seq.end !== end) fail('subjectAltName: trailing bytes');
  const dns: string[] = [];
  const ip: string[] = [];
  const email: string[] = [];
  let count = 0;
  for (let q = seq.body; q < seq.end; count++) {
    const g = readTlv(buf, q, seq.end, 'subjectAltName entry', p.strict);
    const cls = g.tag & 0xc0;
    const num = g.tag & 0x1f;
    if (cls !== 0x80 || num > 8) fail(`subjectAltName: tag 0x${g.tag.toString(16)} is not a GeneralName`);
    if (g.tag === 0x82) dns.push(dnsText(buf, g.body, g.end));
    else if (g.tag === 0x87) ip.push(ipText(buf, g.body, g.end));
    else if (g.tag === 0x81) email.push(buf.toString('latin1', g.body, g.end));
    q = g.end;
  }
  f.sanDns = dns;
  f.sanIp = ip;
  f.sanEmail = email;
  f.sanCount = count;
}

function readCrlDp(p: Pass, body: number, end: number, f: ExtensionFacts): void {
  const { buf } = p;
  const seq = expectTlv(buf, body, end, TAG_SEQUENCE, 'cRLDistributionPoints', p.strict);
  const urls: string[] = [];
  for (let q = seq.body; q < seq.end; ) {
    const dp = expectTlv(buf, q, seq.end, TAG_SEQUENCE, 'DistributionPoint', p.strict);
    if (dp.body < dp.end) {
      const first = readTlv(buf, dp.body, dp.end, 'DistributionPoint field', p.strict);
      if (first.tag === 0xa0 && first.body < first.end) {
        const dpn = readTlv(buf, first.body, first.end, 'DistributionPointName', p.strict);
        if (dpn.tag === 0xa0) {
          for (let r = dpn.body; r < dpn.end; ) {
            const g = readTlv(buf, r, dpn.end, 'DistributionPoint fullName', p.strict);
            if (g.tag === 0x86) urls.push(buf.toString('latin1', g.body, g.end));
            r = g.end;
          }
        }
      }
    }
    q = dp.end;
  }
  f.crlUrls = urls;
}

function readPolicies(p: Pass, body: number, end: number, f: ExtensionFacts): void {
  const { buf } = p;
  const seq = expectTlv(buf, body, end, TAG_SEQUENCE, 'certificatePolicies', p.strict);
  const oids: string[] = [];
  for (let q = seq.body; q < seq.end; ) {
    const info = expectTlv(buf, q, seq.end, TAG_SEQUENCE, 'PolicyInformation', p.strict);
    const oid = expectTlv(buf, info.body, info.end, TAG_OID, 'policy OID', p.strict);
    oids.push(decodeOid(buf, oid.body, oid.end, 'policy OID'));
    q = info.end;
  }
  f.policyOids = oids;
}

function readBasicConstraints(p: Pass, body: number, end: number, f: ExtensionFacts): void {
  const { buf } = p;
  const seq = expectTlv(buf, body, end, TAG_SEQUENCE, 'basicConstraints', p.strict);
  let ca = false;
  let q = seq.body;
  if (q < seq.end && buf[q] === TAG_BOOLEAN) {
    const b = expectTlv(buf, q, seq.end, TAG_BOOLEAN, 'basicConstraints cA', p.strict);
    if (b.end - b.body !== 1) fail('basicConstraints: cA is not one byte');
    ca = buf[b.body] !== 0;
    q = b.end;
  }
  if (q < seq.end) {
    expectTlv(buf, q, seq.end, TAG_INTEGER, 'basicConstraints pathLenConstraint', p.strict);
    if (!ca) tolerate(p, 'basicConstraints: pathLenConstraint without cA');
  }
  f.isCa = ca;
}

/** The SCT list extension: an OCTET STRING holding the TLS-encoded list (RFC 6962 §3.3). */
function readScts(p: Pass, body: number, end: number, f: ExtensionFacts): void {
  const { buf } = p;
  const inner = expectTlv(buf, body, end, TAG_OCTET_STRING, 'SCT list', p.strict);
  if (inner.end !== end) fail('SCT list: trailing bytes after the OCTET STRING');
  const list = decodeSctList(buf, inner.body, inner.end);
  // RFC 6962 asks for at least one SCT and defines only v1; neither defect stops the others being read.
  if (list.scts.length + list.unknownVersions.length === 0) tolerate(p, 'SCT list: empty');
  for (const v of list.unknownVersions) tolerate(p, `SCT list: an SCT of unknown version ${v} skipped`);
  f.scts = list.scts;
}

/** What a certificate without an extensions field says: no names, no CRL, no policies, CA unknown. */
function noExtensions(): ExtensionFacts {
  return {
    extensionOids: [],
    sanDns: [],
    sanIp: [],
    sanEmail: [],
    sanCount: 0,
    sanOk: true,
    crlPresent: false,
    crlUrls: [],
    policyOids: [],
    isCa: null,
    scts: [],
  };
}

function readExtensions(p: Pass, ext: Tlv): ExtensionFacts {
  const { buf } = p;
  const f = noExtensions();
  const list = expectTlv(buf, ext.body, ext.end, TAG_SEQUENCE, 'extensions', p.strict);
  if (list.end !== ext.end) fail('extensions: trailing bytes');
  for (let q = list.body; q < list.end; ) {
    const e = expectTlv(buf, q, list.end, TAG_SEQUENCE, 'extension', p.strict);
    const oidTlv = expectTlv(buf, e.body, e.end, TAG_OID, 'extension OID', p.strict);
    const oid = decodeOid(buf, oidTlv.body, oidTlv.end, 'extension OID');
    f.extensionOids.push(oid);
    let v = readTlv(buf, oidTlv.end, e.end, `extension ${oid}`, p.strict);
    if (v.tag === TAG_BOOLEAN) v = readTlv(buf, v.end, e.end, `extension ${oid}`, p.strict);
    if (v.tag !== TAG_OCTET_STRING || v.end !== e.end) fail(`extension ${oid}: malformed extnValue`);
    try {
      switch (oid) {
        case OID_SAN:
          readSan(p, v.body, v.end, f);
          break;
        case OID_CRL_DP:
          f.crlPresent = true;
          readCrlDp(p, v.body, v.end, f);
          break;
        case OID_POLICIES:
          readPolicies(p, v.body, v.end, f);
          break;
        case OID_BASIC_CONSTRAINTS:
          readBasicConstraints(p, v.body, v.end, f);
          break;
        case OID_CT_SCTS:
          readScts(p, v.body, v.end, f);
          break;
        case OID_OCSP_NOCHECK:
          if (v.end - v.body !== 2 || buf[v.body] !== TAG_NULL || buf[v.body + 1] !== 0) fail('ocspNoCheck: value is not NULL');
          break;
      }
    } catch (err) {
      if (!(err instanceof CtDecodeError) || p.strict) throw err;
      p.notes.push(`extension ${oid} skipped: ${err.message}`);
      if (oid === OID_SAN) f.sanOk = false;
    }
    q = e.end;
  }
  return f;
}

function validationLevel(policyOids: string[], subject: DecodedName, hasDnsIdentity: boolean, isCa: boolean | null): CertificateFields['validationLevel'] {
  for (const oid of policyOids) {
    const level = POLICY_LEVEL[oid];
    if (level) return level;
  }
  if (isCa === true) return 'unknown';
  const hasEvAttributes = firstAttribute(subject, OID_JURISDICTION_C) !== null && firstAttribute(subject, OID_BUSINESS_CATEGORY) !== null;
  if (hasEvAttributes) return 'EV';
  if (firstAttribute(subject, OID_O) !== null) return 'OV';
  return hasDnsIdentity ? 'DV' : 'unknown';
}

/** One pass over a TBSCertificate occupying [tbs.start, tbs.end) of `buf`. */
function readTbs(p: Pass, tbs: Tlv, sha256: string): CertificateFields {
  const { buf } = p;
  let q = tbs.body;
  let version = 0;
  const first = readTlv(buf, q, tbs.end, 'TBSCertificate', p.strict);
  if (first.tag === 0xa0) {
    const v = expectTlv(buf, first.body, first.end, TAG_INTEGER, 'version', p.strict);
    version = v.end - v.body === 1 ? buf[v.body] : -1;
    if (version < 0 || version > 2) tolerate(p, 'version: not v1, v2 or v3');
    q = first.end;
  }
  const serial = expectTlv(buf, q, tbs.end, TAG_INTEGER, 'serialNumber', p.strict);
  if (serial.end === serial.body) fail('serialNumber: empty');
  const sigAlg = expectTlv(buf, serial.end, tbs.end, TAG_SEQUENCE, 'signature', p.strict);
  const sigOid = expectTlv(buf, sigAlg.body, sigAlg.end, TAG_OID, 'signature algorithm', p.strict);
  const signatureAlgorithm = decodeOid(buf, sigOid.body, sigOid.end, 'signature algorithm');
  const issuer = decodeName(buf, sigAlg.end, tbs.end, 'issuer', p.strict);
  if (!issuer.name.valid) tolerate(p, 'issuer: invalid characters in a string');
  const validity = expectTlv(buf, issuer.end, tbs.end, TAG_SEQUENCE, 'validity', p.strict);
  const nb = readTime(p, validity.body, validity.end, 'notBefore');
  const na = readTime(p, nb.end, validity.end, 'notAfter');
  if (na.end !== validity.end) tolerate(p, 'validity: trailing bytes');
  const subject = decodeName(buf, validity.end, tbs.end, 'subject', p.strict);
  if (!subject.name.valid) tolerate(p, 'subject: invalid characters in a string');
  const spki = expectTlv(buf, subject.end, tbs.end, TAG_SEQUENCE, 'subjectPublicKeyInfo', p.strict);
  const key = readKey(p, spki);
  q = spki.end;
  let facts: ExtensionFacts | null = null;
  while (q < tbs.end) {
    const t = readTlv(buf, q, tbs.end, 'TBSCertificate optional field', p.strict);
    if (t.tag === 0x81 || t.tag === 0x82 || t.tag === 0xa1 || t.tag === 0xa2) {
      // unique identifiers: nothing to extract
    } else if (t.tag === 0xa3 && facts === null) {
      if (version !== 2) tolerate(p, 'extensions in a certificate that is not v3');
      facts = readExtensions(p, t);
    } else fail(`TBSCertificate: unexpected field with tag 0x${t.tag.toString(16)}`);
    q = t.end;
  }
  const ext = facts ?? noExtensions();
  const commonNames = attributeValues(subject.name, OID_CN);
  const notBefore = nb.date;
  const notAfter = na.date;
  const isWildcard = ext.sanDns.some((n) => n.startsWith('*.')) || commonNames.some((n) => n.startsWith('*.'));
  const hasDnsIdentity = ext.sanDns.length > 0 || commonNames.some((n) => isJpDnsName(n) || /^[\w*.-]+\.[a-z]{2,}\.?$/i.test(n));
  return {
    subjectDn: formatDn(subject.name),
    issuerDn: formatDn(issuer.name),
    commonName: commonNames.length > 0 ? commonNames[0] : null,
    commonNames,
    issuerCommonName: firstAttribute(issuer.name, OID_CN),
    issuerOrganization: firstAttribute(issuer.name, OID_O),
    subjectOrganization: firstAttribute(subject.name, OID_O),
    sanDns: ext.sanDns,
    sanIp: ext.sanIp,
    sanEmail: ext.sanEmail,
    serialHex: integerHex(buf, serial.body, serial.end),
    notBefore,
    notAfter,
    tbsSha256: sha256Hex(buf, tbs.start, tbs.end),
    spkiSha256: sha256Hex(buf, spki.start, spki.end),
    keyAlgorithm: key.keyAlgorithm,
    keySize: key.keySize,
    ecCurve: key.ecCurve,
    signatureAlgorithm,
    hasCrlDistributionPoints: ext.crlPresent,
    crlUrls: ext.crlUrls,
    policyOids: ext.policyOids,
    validationLevel: validationLevel(ext.policyOids, subject.name, hasDnsIdentity, ext.isCa),
    isWildcard,
    sanCount: ext.sanCount,
    validityDays: Math.round((notAfter.getTime() - notBefore.getTime() + 1000) / DAY_MS),
    isCa: ext.isCa,
    hasCtPoison: ext.extensionOids.includes(OID_CT_POISON),
    hasEmbeddedScts: ext.extensionOids.includes(OID_CT_SCTS),
    scts: ext.scts,
    extensionOids: ext.extensionOids,
    dnsNamesComplete: ext.sanOk,
    sha256,
    parseMode: p.strict ? 'strict' : 'lenient',
    parseNotes: p.notes,
  };
}

/** Locate the TBSCertificate: the whole input for 'tbs', the first element of the Certificate otherwise. */
function locateTbs(p: Pass, kind: 'certificate' | 'tbs'): Tlv {
  const { buf } = p;
  const outer = expectTlv(buf, 0, buf.length, TAG_SEQUENCE, kind === 'tbs' ? 'TBSCertificate' : 'Certificate', p.strict);
  if (outer.end !== buf.length) tolerate(p, `${kind}: ${buf.length - outer.end} bytes after the DER`);
  if (kind === 'tbs') return outer;
  const tbs = expectTlv(buf, outer.body, outer.end, TAG_SEQUENCE, 'TBSCertificate', p.strict);
  // Even the lenient pass wants the signatureAlgorithm SEQUENCE to start right after the TBS: a name at
  // the TBS's end is then followed by 0x30, which the prefilter counts as the end of a label.
  if (tbs.end >= outer.end || buf[tbs.end] !== TAG_SEQUENCE) fail('Certificate: no signatureAlgorithm after the TBSCertificate');
  try {
    const alg = expectTlv(buf, tbs.end, outer.end, TAG_SEQUENCE, 'signatureAlgorithm', p.strict);
    const sig = expectTlv(buf, alg.end, outer.end, TAG_BIT_STRING, 'signatureValue', p.strict);
    if (sig.end !== outer.end) fail('Certificate: trailing bytes after signatureValue');
  } catch (e) {
    if (!(e instanceof CtDecodeError)) throw e;
    tolerate(p, e.message);
  }
  return tbs;
}

/**
 * Extract the fields of a DER certificate or bare TBSCertificate. Tries the
 * strict pass, then the lenient one; throws CtDecodeError only when even the
 * lenient pass cannot find serial, names, validity and key.
 */
export function parseCertificate(der: Uint8Array, kind: 'certificate' | 'tbs'): CertificateFields {
  if (!(der instanceof Uint8Array)) throw new CtDecodeError('parseCertificate: input is not bytes');
  const buf = asBuffer(der);
  const sha256 = sha256Hex(buf, 0, buf.length);
  const strict: Pass = { buf, strict: true, notes: [] };
  let strictError: string;
  try {
    const tbs = locateTbs(strict, kind);
    return readTbs(strict, tbs, sha256);
  } catch (e) {
    if (!(e instanceof CtDecodeError)) throw e;
    strictError = e.message;
  }
  const lenient: Pass = { buf, strict: false, notes: [`strict parse failed: ${strictError}`] };
  try {
    const tbs = locateTbs(lenient, kind);
    return readTbs(lenient, tbs, sha256);
  } catch (e) {
    if (!(e instanceof CtDecodeError)) throw e;
    throw new CtDecodeError(`${kind === 'tbs' ? 'TBSCertificate' : 'certificate'} unparsable: ${e.message} (strict: ${strictError})`);
  }
}
