/**
 * Signed tree heads (RFC 6962 §3.5, §4.3): validation of a get-sth response,
 * the signed TreeHeadSignature bytes, DigitallySigned decoding, and signature
 * checks with the log's public key (DER SubjectPublicKeyInfo).
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { TlsReader, concatBytes, decodeBase64, u16, u64 } from './bytes.js';
import { CtDecodeError } from './errors.js';

export interface SignedTreeHead {
  treeSize: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  rootHash: Buffer;
  /** The TLS DigitallySigned struct, as served. */
  signature: Buffer;
}

/** Validate the JSON body of a get-sth response. Throws CtDecodeError naming the bad field. */
export function parseSth(body: unknown): SignedTreeHead {
  if (typeof body !== 'object' || body === null) throw new CtDecodeError('get-sth: body is not a JSON object');
  const b = body as Record<string, unknown>;
  const intField = (name: string): number => {
    const v = b[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new CtDecodeError(`get-sth: ${name} is not a non-negative integer`);
    return v;
  };
  const treeSize = intField('tree_size');
  const timestamp = intField('timestamp');
  const rootHash = decodeBase64(b.sha256_root_hash as string, 'get-sth: sha256_root_hash');
  if (rootHash.length !== 32) throw new CtDecodeError('get-sth: sha256_root_hash is not 32 bytes');
  const signature = decodeBase64(b.tree_head_signature as string, 'get-sth: tree_head_signature');
  return { treeSize, timestamp, rootHash, signature };
}

export function sthToJson(sth: SignedTreeHead): Record<string, unknown> {
  return {
    tree_size: sth.treeSize,
    timestamp: sth.timestamp,
    sha256_root_hash: sth.rootHash.toString('base64'),
    tree_head_signature: sth.signature.toString('base64'),
  };
}

/** The 50 bytes a log signs: version v1, signature_type tree_hash, timestamp, tree_size, root. */
export function treeHeadSignatureInput(timestamp: number, treeSize: number, rootHash: Uint8Array): Uint8Array {
  return concatBytes([Uint8Array.of(0, 1), u64(timestamp), u64(treeSize), rootHash]);
}

const HASH_SHA256 = 4;
const SIG_RSA = 1;
const SIG_ECDSA = 3;

export interface DigitallySigned {
  hashAlgorithm: number;
  signatureAlgorithm: number;
  signature: Uint8Array;
}

export function decodeDigitallySigned(bytes: Uint8Array): DigitallySigned {
  const r = new TlsReader(bytes, 'DigitallySigned');
  const hashAlgorithm = r.u8('hash_algorithm');
  const signatureAlgorithm = r.u8('signature_algorithm');
  const signature = r.vector(2, 'signature');
  r.expectEnd();
  return { hashAlgorithm, signatureAlgorithm, signature };
}

export function logKeyFromSpki(spkiDer: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
}

/** RFC 6962 log ID: SHA-256 of the DER SubjectPublicKeyInfo. */
export function logId(spkiDer: Uint8Array): Buffer {
  return createHash('sha256').update(spkiDer).digest();
}

/**
 * Does the tree head carry a valid signature by this log key? SHA-256 with
 * ECDSA (DER r,s) or RSASSA-PKCS1-v1_5; other algorithms are refused.
 */
export function verifySthSignature(sth: SignedTreeHead, key: KeyObject | Uint8Array): boolean {
  let ds: DigitallySigned;
  try {
    ds = decodeDigitallySigned(sth.signature);
  } catch {
    return false;
  }
  if (ds.hashAlgorithm !== HASH_SHA256) return false;
  const keyObject = key instanceof Uint8Array ? logKeyFromSpki(key) : key;
  const expectedAlg = keyObject.asymmetricKeyType === 'ec' ? SIG_ECDSA : keyObject.asymmetricKeyType === 'rsa' ? SIG_RSA : -1;
  if (ds.signatureAlgorithm !== expectedAlg) return false;
  try {
    return verify('sha256', treeHeadSignatureInput(sth.timestamp, sth.treeSize, sth.rootHash), keyObject, ds.signature);
  } catch {
    return false;
  }
}

/** Sign a tree head with a log's ECDSA or RSA private key (used by the test log). */
export function signTreeHead(privateKey: KeyObject, timestamp: number, treeSize: number, rootHash: Uint8Array): SignedTreeHead {
  const sigAlg = privateKey.asymmetricKeyType === 'ec' ? SIG_ECDSA : SIG_RSA;
  const sig = sign('sha256', treeHeadSignatureInput(timestamp, treeSize, rootHash), privateKey);
  const signature = Buffer.from(concatBytes([Uint8Array.of(HASH_SHA256, sigAlg), u16(sig.length), sig]));
  return { treeSize, timestamp, rootHash: Buffer.from(rootHash), signature };
}
