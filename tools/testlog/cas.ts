/**
 * The certification authorities of the corpus: roots and issuing
 * intermediates modelled on the CAs that issue most `.jp` certificates
 * (an ACME CA like Let's Encrypt, JPRS, SECOM, GlobalSign, DigiCert,
 * Cybertrust Japan), each really signed with its own key.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { ecPrivateKey, spkiOf } from './keys.js';
import type { Rng } from './rng.js';
import { encodeName, encodeTbs, ext, nameToString, sigAlgFor, signTbs, type Attr, type Signer } from './x509.js';

export type Level = 'DV' | 'OV' | 'IV' | 'EV';

export const POLICY_OIDS: Record<Level, string> = {
  DV: '2.23.140.1.2.1',
  OV: '2.23.140.1.2.2',
  IV: '2.23.140.1.2.3',
  EV: '2.23.140.1.1',
};

interface RootDef {
  id: string;
  subject: Attr[];
  key: 'RSA' | 'P-384';
}

interface IssuerDef {
  id: string;
  root: string;
  subject: Attr[];
  key: 'RSA' | 'P-256' | 'P-384';
  /** The CA's organisation, as analyses group it. */
  ca: string;
  levels: Level[];
  /** CA-specific policy OID added next to the CA/B Forum one (OV/EV CAs). */
  caPolicy: string | null;
  crlBase: string | null;
  ocsp: string | null;
  caIssuers: string;
  /** ACME CAs backdate notBefore by an hour; others use the issuance time. */
  acme: boolean;
}

// The issuing EC intermediates use P-256: OpenSSL signs with P-384 about fifty times slower,
// and these two CAs sign a large part of the corpus.

const ROOTS: RootDef[] = [
  { id: 'isrg-x1', subject: [['C', 'US'], ['O', 'Internet Security Research Group'], ['CN', 'ISRG Root X1']], key: 'RSA' },
  { id: 'isrg-x2', subject: [['C', 'US'], ['O', 'Internet Security Research Group'], ['CN', 'ISRG Root X2']], key: 'P-384' },
  { id: 'secom-rca2', subject: [['C', 'JP'], ['O', 'SECOM Trust Systems CO.,LTD.'], ['OU', 'Security Communication RootCA2']], key: 'RSA' },
  { id: 'gs-r3', subject: [['OU', 'GlobalSign Root CA - R3'], ['O', 'GlobalSign'], ['CN', 'GlobalSign']], key: 'RSA' },
  { id: 'dc-g2', subject: [['C', 'US'], ['O', 'DigiCert Inc'], ['OU', 'www.digicert.com'], ['CN', 'DigiCert Global Root G2']], key: 'RSA' },
  { id: 'dc-g3', subject: [['C', 'US'], ['O', 'DigiCert Inc'], ['OU', 'www.digicert.com'], ['CN', 'DigiCert Global Root G3']], key: 'P-384' },
];

const LE = "Let's Encrypt";
const JPRS = 'Japan Registry Services Co., Ltd.';
const SECOM = 'SECOM Trust Systems CO.,LTD.';
const GS = 'GlobalSign nv-sa';
const DC = 'DigiCert Inc';
const CTJ = 'Cybertrust Japan Co., Ltd.';

const ISSUERS: IssuerDef[] = [
  { id: 'le-r11', root: 'isrg-x1', subject: [['C', 'US'], ['O', LE], ['CN', 'R11']], key: 'RSA', ca: LE, levels: ['DV'], caPolicy: null, crlBase: 'http://r11.c.lencr.org/', ocsp: null, caIssuers: 'http://r11.i.lencr.org/', acme: true },
  { id: 'le-e6', root: 'isrg-x2', subject: [['C', 'US'], ['O', LE], ['CN', 'E6']], key: 'P-256', ca: LE, levels: ['DV'], caPolicy: null, crlBase: 'http://e6.c.lencr.org/', ocsp: null, caIssuers: 'http://e6.i.lencr.org/', acme: true },
  { id: 'jprs-dv', root: 'secom-rca2', subject: [['C', 'JP'], ['O', JPRS], ['CN', 'JPRS Domain Validation Authority - G4']], key: 'RSA', ca: JPRS, levels: ['DV'], caPolicy: '1.3.6.1.4.1.53827.1.1.4', crlBase: 'http://repo.pubcert.jprs.jp/sppca/jprs/dvca_g4/', ocsp: 'http://dv.g4.ocsp.pubcert.jprs.jp', caIssuers: 'http://repo.pubcert.jprs.jp/sppca/jprs/dvca_g4/JPRS_DVCA_G4_DER.cer', acme: false },
  { id: 'jprs-ov', root: 'secom-rca2', subject: [['C', 'JP'], ['O', JPRS], ['CN', 'JPRS Organization Validation Authority - G4']], key: 'RSA', ca: JPRS, levels: ['OV'], caPolicy: '1.3.6.1.4.1.53827.1.1.4', crlBase: 'http://repo.pubcert.jprs.jp/sppca/jprs/ovca_g4/', ocsp: 'http://ov.g4.ocsp.pubcert.jprs.jp', caIssuers: 'http://repo.pubcert.jprs.jp/sppca/jprs/ovca_g4/JPRS_OVCA_G4_DER.cer', acme: false },
  { id: 'secom-ov', root: 'secom-rca2', subject: [['C', 'JP'], ['O', SECOM], ['CN', 'SECOM Passport for Web SR 3.0 CA']], key: 'RSA', ca: SECOM, levels: ['OV'], caPolicy: '1.2.392.200091.100.721.1', crlBase: 'http://repo1.secomtrust.net/sppca/', ocsp: 'http://scrootca2.ocsp.secomtrust.net', caIssuers: 'http://repo1.secomtrust.net/sppca/SPfWSR3.0CA.cer', acme: false },
  { id: 'secom-ev', root: 'secom-rca2', subject: [['C', 'JP'], ['O', SECOM], ['CN', 'SECOM Passport for Web EV 2.0 CA']], key: 'RSA', ca: SECOM, levels: ['EV'], caPolicy: '1.2.392.200091.100.721.1', crlBase: 'http://repo1.secomtrust.net/sppca/ev2/', ocsp: 'http://scrootca2.ocsp.secomtrust.net', caIssuers: 'http://repo1.secomtrust.net/sppca/SPfWEV2.0CA.cer', acme: false },
  { id: 'gs-dv', root: 'gs-r3', subject: [['C', 'BE'], ['O', GS], ['CN', 'GlobalSign GCC R3 DV TLS CA 2020']], key: 'RSA', ca: GS, levels: ['DV'], caPolicy: null, crlBase: null, ocsp: 'http://ocsp.globalsign.com/gsgccr3dvtlsca2020', caIssuers: 'http://secure.globalsign.com/cacert/gsgccr3dvtlsca2020.crt', acme: true },
  { id: 'gs-ov', root: 'gs-r3', subject: [['C', 'BE'], ['O', GS], ['CN', 'GlobalSign GCC R3 OV TLS CA 2024']], key: 'RSA', ca: GS, levels: ['OV', 'IV'], caPolicy: '1.3.6.1.4.1.4146.1.20', crlBase: 'http://crl.globalsign.com/gsgccr3ovtlsca2024/', ocsp: 'http://ocsp.globalsign.com/gsgccr3ovtlsca2024', caIssuers: 'http://secure.globalsign.com/cacert/gsgccr3ovtlsca2024.crt', acme: false },
  { id: 'gs-ev', root: 'gs-r3', subject: [['C', 'BE'], ['O', GS], ['CN', 'GlobalSign GCC R3 EV TLS CA 2024']], key: 'RSA', ca: GS, levels: ['EV'], caPolicy: '1.3.6.1.4.1.4146.1.1', crlBase: 'http://crl.globalsign.com/gsgccr3evtlsca2024/', ocsp: 'http://ocsp.globalsign.com/gsgccr3evtlsca2024', caIssuers: 'http://secure.globalsign.com/cacert/gsgccr3evtlsca2024.crt', acme: false },
  { id: 'dc-rsa', root: 'dc-g2', subject: [['C', 'US'], ['O', DC], ['CN', 'DigiCert Global G2 TLS RSA SHA256 2020 CA1']], key: 'RSA', ca: DC, levels: ['DV', 'OV'], caPolicy: null, crlBase: 'http://crl3.digicert.com/', ocsp: 'http://ocsp.digicert.com', caIssuers: 'http://cacerts.digicert.com/DigiCertGlobalG2TLSRSASHA2562020CA1-1.crt', acme: true },
  { id: 'dc-ecc', root: 'dc-g3', subject: [['C', 'US'], ['O', DC], ['CN', 'DigiCert Global G3 TLS ECC SHA256 2020 CA1']], key: 'P-256', ca: DC, levels: ['DV', 'OV'], caPolicy: null, crlBase: 'http://crl3.digicert.com/', ocsp: 'http://ocsp.digicert.com', caIssuers: 'http://cacerts.digicert.com/DigiCertGlobalG3TLSECCSHA3842020CA1-2.crt', acme: true },
  { id: 'dc-ev', root: 'dc-g2', subject: [['C', 'US'], ['O', DC], ['CN', 'DigiCert EV RSA CA G2']], key: 'RSA', ca: DC, levels: ['EV'], caPolicy: '2.16.840.1.114412.2.1', crlBase: 'http://crl3.digicert.com/', ocsp: 'http://ocsp.digicert.com', caIssuers: 'http://cacerts.digicert.com/DigiCertEVRSACAG2.crt', acme: false },
  { id: 'ctj-ov', root: 'secom-rca2', subject: [['C', 'JP'], ['O', CTJ], ['CN', 'Cybertrust Japan SureServer CA G4']], key: 'RSA', ca: CTJ, levels: ['OV'], caPolicy: '1.2.392.200081.1.23.1', crlBase: 'http://crl.cybertrust.ne.jp/SureServer/ovcag4/', ocsp: 'http://ocsp.cybertrust.ne.jp/OcspServer', caIssuers: 'http://crl.cybertrust.ne.jp/SureServer/ovcag4/ovcag4.crt', acme: false },
  { id: 'ctj-ev', root: 'secom-rca2', subject: [['C', 'JP'], ['O', CTJ], ['CN', 'Cybertrust Japan SureServer EV CA G3']], key: 'RSA', ca: CTJ, levels: ['EV'], caPolicy: '1.2.392.200081.1.1', crlBase: 'http://crl.cybertrust.ne.jp/SureServer/evcag3/', ocsp: 'http://ocsp.cybertrust.ne.jp/OcspServer', caIssuers: 'http://crl.cybertrust.ne.jp/SureServer/evcag3/evcag3.crt', acme: false },
];

export interface Issuer extends Omit<IssuerDef, 'key' | 'subject' | 'root'> {
  name: Buffer;
  dn: string;
  signer: Signer;
  spki: Buffer;
  /** SHA-256 of the issuer's SPKI: the precert leaves' issuer_key_hash. */
  keyHash: Buffer;
  cert: Buffer;
  root: Buffer;
  keyType: 'RSA' | 'EC';
}

export interface CaSet {
  issuers: Issuer[];
  roots: Buffer[];
  byId: Map<string, Issuer>;
}

const ROOT_VALIDITY: [Date, Date] = [new Date('2015-06-04T11:04:38Z'), new Date('2045-06-04T11:04:38Z')];
const INTERMEDIATE_VALIDITY: [Date, Date] = [new Date('2024-03-13T00:00:00Z'), new Date('2029-03-12T23:59:59Z')];

/** Build the CA hierarchy. RSA keys come from the shared pool, EC keys from the seed. */
export function buildCas(rng: Rng, rsaKeys: KeyObject[]): CaSet {
  let rsaNext = 0;
  const keyFor = (kind: 'RSA' | 'P-256' | 'P-384'): KeyObject => (kind === 'RSA' ? rsaKeys[rsaNext++] : ecPrivateKey(rng, kind));
  const caSerial = (): Buffer => {
    const b = rng.bytes(16);
    b[0] = (b[0] & 0x7f) | 0x01;
    return b;
  };
  const roots = new Map<string, { name: Buffer; signer: Signer; spki: Buffer; cert: Buffer }>();
  for (const def of ROOTS) {
    const key = keyFor(def.key);
    const signer = { key, alg: sigAlgFor(key) };
    const spki = spkiOf(key);
    const name = encodeName(def.subject);
    const tbs = encodeTbs({
      serial: caSerial(),
      signatureAlg: signer.alg,
      issuer: name,
      notBefore: ROOT_VALIDITY[0],
      notAfter: ROOT_VALIDITY[1],
      subject: name,
      spki,
      extensions: [ext.keyUsageCa(), ext.basicConstraints(true), ext.subjectKeyId(spki)],
    });
    roots.set(def.id, { name, signer, spki, cert: signTbs(tbs, signer) });
  }
  const issuers: Issuer[] = [];
  for (const def of ISSUERS) {
    const root = roots.get(def.root)!;
    const key = keyFor(def.key);
    const spki = spkiOf(key);
    const name = encodeName(def.subject);
    const tbs = encodeTbs({
      serial: caSerial(),
      signatureAlg: root.signer.alg,
      issuer: root.name,
      notBefore: INTERMEDIATE_VALIDITY[0],
      notAfter: INTERMEDIATE_VALIDITY[1],
      subject: name,
      spki,
      extensions: [
        ext.keyUsageCa(),
        ext.extKeyUsage(),
        ext.basicConstraints(true, 0),
        ext.subjectKeyId(spki),
        ext.authorityKeyId(root.spki),
        ext.policies(def.levels.map((l) => POLICY_OIDS[l])),
      ],
    });
    const { key: _k, subject, root: _r, ...rest } = def;
    issuers.push({
      ...rest,
      name,
      dn: nameToString(subject),
      signer: { key, alg: sigAlgFor(key) },
      spki,
      keyHash: createHash('sha256').update(spki).digest(),
      cert: signTbs(tbs, root.signer),
      root: root.cert,
      keyType: def.key === 'RSA' ? 'RSA' : 'EC',
    });
  }
  return { issuers, roots: [...roots.values()].map((r) => r.cert), byId: new Map(issuers.map((i) => [i.id, i])) };
}
