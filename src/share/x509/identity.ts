/**
 * Distinct-certificate identity (docs/design.md, "Distinct certificate"):
 * the fields a precertificate shares with its final certificate and that
 * tell two issuances apart. Extensions (poison, SCT list) are left out on
 * purpose, so a precert leaf's TBS and the final certificate agree.
 */
import { createHash } from 'node:crypto';
import type { CertificateFields } from './certificate.js';

export function certificateIdentity(f: CertificateFields): Buffer {
  const parts = [
    f.issuerDn,
    f.serialHex,
    String(f.notBefore.getTime()),
    String(f.notAfter.getTime()),
    f.subjectDn,
    f.commonName ?? '',
    [...f.sanDns].sort().join(','),
    f.spkiSha256,
    f.signatureAlgorithm,
    f.keyAlgorithm,
    String(f.keySize ?? ''),
  ];
  // JSON keeps the parts unambiguous (no separator can be forged inside a DN).
  return createHash('sha256').update(JSON.stringify(parts)).digest();
}
