// Certificate field extraction, the .jp decision and certificate identity.
export { parseCertificate, type CertificateFields } from './certificate.js';
export { parseLeaf, type ParsedLeaf } from './leaf.js';
export { isJpDnsName, jpNamesOf, mayCoverJp, normalizeDnsName } from './jp.js';
export { certificateIdentity } from './identity.js';
export { coveredDnsNames, coveredDnsNamesOfRow } from './covered-names.js';
export { decodeSctList, type Sct, type DecodedSctList } from './scts.js';
