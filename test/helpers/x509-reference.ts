/**
 * The reference reading of a certificate: the same fields as ctjp's lean
 * parser, but taken from @peculiar/asn1-x509 (ASN.1 schema decoding) and
 * Node's OpenSSL (key sizes and curves). Tests compare the two field by
 * field; the decode benchmark times this path as the baseline.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { AsnConvert, AsnParser } from '@peculiar/asn1-schema';
import {
  BasicConstraints,
  CRLDistributionPoints,
  Certificate,
  CertificatePolicies,
  SubjectAlternativeName,
  TBSCertificate,
  id_ce_basicConstraints,
  id_ce_cRLDistributionPoints,
  id_ce_certificatePolicies,
  id_ce_subjectAltName,
  type Name,
} from '@peculiar/asn1-x509';
import { formatDn, type DecodedName } from '../../src/share/x509/names.js';

export interface ReferenceFields {
  subjectDn: string;
  issuerDn: string;
  subjectAttributes: [string, string][];
  issuerAttributes: [string, string][];
  commonNames: string[];
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  tbsSha256: string;
  spkiSha256: string;
  keyAlgorithmOid: string;
  keySize: number | null;
  ecCurve: string | null;
  signatureAlgorithm: string;
  sanDns: string[];
  sanEmail: string[];
  crlPresent: boolean;
  crlUrls: string[];
  policyOids: string[];
  isCa: boolean | null;
  extensionOids: string[];
}

const sha256 = (b: ArrayBuffer | Uint8Array) => createHash('sha256').update(new Uint8Array(b as ArrayBuffer)).digest('hex');

const OPENSSL_CURVES: Record<string, [string, number]> = {
  prime256v1: ['secp256r1', 256],
  secp384r1: ['secp384r1', 384],
  secp521r1: ['secp521r1', 521],
};

function attributesOf(name: Name): { decoded: DecodedName; pairs: [string, string][] } {
  const attributes: DecodedName['attributes'] = [];
  name.forEach((rdn, i) =>
    rdn.forEach((atv) => {
      const v = atv.value;
      const isHex = v.anyValue !== undefined;
      const value = isHex ? '#' + Buffer.from(v.anyValue as ArrayBuffer).toString('hex') : v.toString();
      attributes.push({ oid: atv.type, value, rdn: i, isHex });
    }),
  );
  return { decoded: { attributes, valid: true }, pairs: attributes.map((a) => [a.oid, a.value]) };
}

function serialHex(b: ArrayBuffer): string {
  const h = Buffer.from(b).toString('hex').replace(/^0+/, '');
  return h === '' ? '0' : h;
}

/** Decode with the reference library. Throws whatever the library throws. */
export function referenceFields(der: Uint8Array, kind: 'certificate' | 'tbs'): ReferenceFields {
  let tbs: TBSCertificate;
  let tbsBytes: ArrayBuffer | Uint8Array;
  if (kind === 'certificate') {
    const cert = AsnParser.parse(der, Certificate);
    tbs = cert.tbsCertificate;
    tbsBytes = cert.tbsCertificateRaw ?? AsnConvert.serialize(tbs);
  } else {
    tbs = AsnParser.parse(der, TBSCertificate);
    tbsBytes = der;
  }
  const spkiDer = new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo));
  let keySize: number | null = null;
  let ecCurve: string | null = null;
  try {
    const details = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' }).asymmetricKeyDetails;
    if (details?.modulusLength) keySize = details.modulusLength;
    if (details?.namedCurve) [ecCurve, keySize] = OPENSSL_CURVES[details.namedCurve] ?? [details.namedCurve, null];
  } catch {
    // OpenSSL refuses some keys; the size stays unknown.
  }
  const subject = attributesOf(tbs.subject);
  const issuer = attributesOf(tbs.issuer);
  const out: ReferenceFields = {
    subjectDn: formatDn(subject.decoded),
    issuerDn: formatDn(issuer.decoded),
    subjectAttributes: subject.pairs,
    issuerAttributes: issuer.pairs,
    commonNames: subject.pairs.filter(([t]) => t === '2.5.4.3').map(([, v]) => v),
    serialHex: serialHex(tbs.serialNumber),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    tbsSha256: sha256(tbsBytes),
    spkiSha256: sha256(spkiDer),
    keyAlgorithmOid: tbs.subjectPublicKeyInfo.algorithm.algorithm,
    keySize,
    ecCurve,
    signatureAlgorithm: tbs.signature.algorithm,
    sanDns: [],
    sanEmail: [],
    crlPresent: false,
    crlUrls: [],
    policyOids: [],
    isCa: null,
    extensionOids: [],
  };
  for (const ext of tbs.extensions ?? []) {
    out.extensionOids.push(ext.extnID);
    const value = ext.extnValue.buffer;
    if (ext.extnID === id_ce_subjectAltName) {
      const san = AsnParser.parse(value, SubjectAlternativeName);
      for (const g of san) {
        if (g.dNSName !== undefined) out.sanDns.push(g.dNSName);
        if (g.rfc822Name !== undefined) out.sanEmail.push(g.rfc822Name);
      }
    } else if (ext.extnID === id_ce_cRLDistributionPoints) {
      out.crlPresent = true;
      for (const dp of AsnParser.parse(value, CRLDistributionPoints)) {
        for (const g of dp.distributionPoint?.fullName ?? []) if (g.uniformResourceIdentifier !== undefined) out.crlUrls.push(g.uniformResourceIdentifier);
      }
    } else if (ext.extnID === id_ce_certificatePolicies) {
      for (const p of AsnParser.parse(value, CertificatePolicies)) out.policyOids.push(p.policyIdentifier);
    } else if (ext.extnID === id_ce_basicConstraints) {
      out.isCa = AsnParser.parse(value, BasicConstraints).cA;
    }
  }
  return out;
}
