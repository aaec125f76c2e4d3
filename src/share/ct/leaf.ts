/**
 * RFC 6962 §3.4 MerkleTreeLeaf and §4.6 extra_data decoding and encoding.
 * Decoding only slices the input (no copies); certificate contents are
 * parsed elsewhere (src/share/x509), so a bad certificate never stops the
 * leaf hash or the entry type from being known.
 */
import { createHash } from 'node:crypto';
import { TlsReader, concatBytes, u16, u24, u64 } from './bytes.js';
import { CtDecodeError } from './errors.js';

export type EntryType = 'x509_entry' | 'precert_entry';

export interface TimestampedEntry {
  /** Milliseconds since the epoch: the SCT timestamp. */
  timestamp: number;
  entryType: EntryType;
  /** x509_entry: the DER certificate. precert_entry: the DER TBSCertificate (no poison, no signature). */
  signedEntry: Uint8Array;
  /** precert_entry only: SHA-256 of the issuing CA's SubjectPublicKeyInfo. */
  issuerKeyHash: Uint8Array | null;
  extensions: Uint8Array;
}

export interface ExtraData {
  /** precert_entry: the full precertificate (with poison extension). Null for x509_entry. */
  precertificate: Uint8Array | null;
  /** Chain from the issuer (or precertificate signing certificate) up to a root. */
  chain: Uint8Array[];
}

const ENTRY_TYPES: Record<number, EntryType> = { 0: 'x509_entry', 1: 'precert_entry' };

/** RFC 6962 leaf hash: SHA-256(0x00 || leaf_input). Computed on raw bytes before any parsing. */
export function leafHash(leafInput: Uint8Array): Buffer {
  return createHash('sha256').update(Uint8Array.of(0)).update(leafInput).digest();
}

/** Decode a MerkleTreeLeaf (version v1, leaf type timestamped_entry). */
export function decodeMerkleTreeLeaf(leafInput: Uint8Array): TimestampedEntry {
  const r = new TlsReader(leafInput, 'MerkleTreeLeaf');
  const version = r.u8('version');
  if (version !== 0) throw new CtDecodeError(`MerkleTreeLeaf: unknown version ${version}`);
  const leafType = r.u8('leaf_type');
  if (leafType !== 0) throw new CtDecodeError(`MerkleTreeLeaf: unknown leaf_type ${leafType}`);
  const timestamp = r.u64('timestamp');
  const typeCode = r.u16('entry_type');
  const entryType = ENTRY_TYPES[typeCode];
  if (entryType === undefined) throw new CtDecodeError(`MerkleTreeLeaf: unknown entry_type ${typeCode}`);
  let issuerKeyHash: Uint8Array | null = null;
  if (entryType === 'precert_entry') issuerKeyHash = r.bytes(32, 'issuer_key_hash');
  const signedEntry = r.vector(3, entryType === 'x509_entry' ? 'ASN.1Cert' : 'TBSCertificate');
  if (signedEntry.length === 0) throw new CtDecodeError(`MerkleTreeLeaf: empty ${entryType} body`);
  const extensions = r.vector(2, 'extensions');
  r.expectEnd();
  return { timestamp, entryType, signedEntry, issuerKeyHash, extensions };
}

function decodeCertList(r: TlsReader, field: string): Uint8Array[] {
  const list = r.vector(3, field);
  const inner = new TlsReader(list, field);
  const certs: Uint8Array[] = [];
  while (inner.remaining > 0) certs.push(inner.vector(3, `${field}[${certs.length}]`));
  return certs;
}

/** Decode extra_data: X509ChainEntry minus the leaf (x509_entry) or PrecertChainEntry (precert_entry). */
export function decodeExtraData(entryType: EntryType, extraData: Uint8Array): ExtraData {
  const r = new TlsReader(extraData, 'extra_data');
  if (entryType === 'x509_entry') {
    const chain = decodeCertList(r, 'certificate_chain');
    r.expectEnd();
    return { precertificate: null, chain };
  }
  const precertificate = r.vector(3, 'pre_certificate');
  const chain = decodeCertList(r, 'precertificate_chain');
  r.expectEnd();
  return { precertificate, chain };
}

/** Encode a MerkleTreeLeaf; the inverse of decodeMerkleTreeLeaf (used by the test log). */
export function encodeMerkleTreeLeaf(e: Omit<TimestampedEntry, 'extensions'> & { extensions?: Uint8Array }): Uint8Array {
  const ext = e.extensions ?? new Uint8Array(0);
  const parts: Uint8Array[] = [Uint8Array.of(0, 0), u64(e.timestamp), u16(e.entryType === 'x509_entry' ? 0 : 1)];
  if (e.entryType === 'precert_entry') {
    if (!e.issuerKeyHash || e.issuerKeyHash.length !== 32) throw new RangeError('precert_entry needs a 32-byte issuerKeyHash');
    parts.push(e.issuerKeyHash);
  }
  parts.push(u24(e.signedEntry.length), e.signedEntry, u16(ext.length), ext);
  return concatBytes(parts);
}

function encodeCertList(certs: Uint8Array[]): Uint8Array {
  const body = concatBytes(certs.flatMap((c) => [u24(c.length), c]));
  return concatBytes([u24(body.length), body]);
}

/** Encode extra_data; the inverse of decodeExtraData (used by the test log). */
export function encodeExtraData(entryType: EntryType, data: ExtraData): Uint8Array {
  if (entryType === 'x509_entry') return encodeCertList(data.chain);
  if (!data.precertificate) throw new RangeError('precert_entry extra_data needs the precertificate');
  return concatBytes([u24(data.precertificate.length), data.precertificate, encodeCertList(data.chain)]);
}
