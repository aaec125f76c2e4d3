/**
 * A log leaf to the facts ctjp keeps: leaf hash, entry type, timestamp,
 * certificate fields, and the `.jp` decision. A certificate that cannot be
 * parsed never hides a `.jp` entry: the leaf then carries the reason in
 * `error`, and is kept as `.jp` whenever the byte-level prefilter says it may be.
 */
import { CtDecodeError, decodeMerkleTreeLeaf, leafHash, type EntryType, type TimestampedEntry } from '../ct/index.js';
import { parseCertificate, type CertificateFields } from './certificate.js';
import { asciiStrings } from './scan.js';
import { isJpDnsName, jpNamesOf, mayCoverJp } from './jp.js';

export interface ParsedLeaf {
  leafHash: Buffer;
  /** Milliseconds since the epoch (the SCT timestamp). */
  timestamp: number;
  entryType: EntryType;
  /** precert_entry: SHA-256 of the issuing CA's SubjectPublicKeyInfo. */
  issuerKeyHash: Uint8Array | null;
  fields: CertificateFields | null;
  /** Set when the certificate could not be parsed at all. */
  error: string | null;
  jpNames: string[];
  coversJp: boolean;
}

/** Decode a MerkleTreeLeaf and its certificate. Throws CtDecodeError only when the leaf framing is broken. */
export function parseLeaf(leafInput: Uint8Array): ParsedLeaf {
  const entry = decodeMerkleTreeLeaf(leafInput);
  const hash = leafHash(leafInput);
  let fields: CertificateFields;
  try {
    fields = parseCertificate(entry.signedEntry, entry.entryType === 'x509_entry' ? 'certificate' : 'tbs');
  } catch (e) {
    if (!(e instanceof CtDecodeError)) throw e;
    // Unparsable: the names are unknown, so the prefilter decides (it errs towards keeping), and
    // jpNames lists the .jp-shaped strings a bounded walk still finds, for whoever looks at the entry.
    const coversJp = mayCoverJp(leafInput);
    const jpNames = coversJp ? [...new Set(asciiStrings(entry.signedEntry).filter(isJpDnsName))].sort() : [];
    return leaf(hash, entry, null, e.message, jpNames, coversJp);
  }
  const jpNames = jpNamesOf(fields.sanDns, fields.commonNames);
  const unsure = !fields.dnsNamesComplete && mayCoverJp(leafInput);
  return leaf(hash, entry, fields, null, jpNames, jpNames.length > 0 || unsure);
}

function leaf(
  hash: Buffer,
  entry: TimestampedEntry,
  fields: CertificateFields | null,
  error: string | null,
  jpNames: string[],
  coversJp: boolean,
): ParsedLeaf {
  return { leafHash: hash, timestamp: entry.timestamp, entryType: entry.entryType, issuerKeyHash: entry.issuerKeyHash, fields, error, jpNames, coversJp };
}
