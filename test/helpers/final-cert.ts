/**
 * The final certificate of a real precertificate leaf: the leaf's
 * TBSCertificate plus an SCT-list extension, wrapped as a certificate (the
 * signature bytes are filler; nothing here checks signatures). Identity
 * fields are untouched, so it is the same issuance.
 */
import { createHash } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Certificate, Extension, Extensions, TBSCertificate } from '@peculiar/asn1-x509';
import { decodeMerkleTreeLeaf, encodeMerkleTreeLeaf } from '../../src/share/ct/index.js';

export function finalCertificateLeaf(precertLeaf: Uint8Array, timestamp: number): { leaf: Buffer; certSha256: string } {
  const entry = decodeMerkleTreeLeaf(precertLeaf);
  if (entry.entryType !== 'precert_entry') throw new Error('not a precert leaf');
  const tbs = AsnConvert.parse(entry.signedEntry, TBSCertificate);
  const sctList = new Extension({ extnID: '1.3.6.1.4.1.11129.2.4.2', critical: false, extnValue: new OctetString(Buffer.from('04020000', 'hex')) });
  tbs.extensions = new Extensions([...(tbs.extensions ?? []), sctList]);
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: tbs.signature, signatureValue: new Uint8Array(64).buffer });
  const der = new Uint8Array(AsnConvert.serialize(cert));
  const leaf = Buffer.from(encodeMerkleTreeLeaf({ timestamp, entryType: 'x509_entry', signedEntry: der, issuerKeyHash: null }));
  return { leaf, certSha256: createHash('sha256').update(der).digest('hex') };
}
