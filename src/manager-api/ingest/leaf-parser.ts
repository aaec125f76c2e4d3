/** The certificate parser ingest uses: the shared one (src/share/x509). */
export { parseLeaf, certificateIdentity, type ParsedLeaf, type CertificateFields } from '../../share/x509/index.js';
