/**
 * Keys for the test logs, CAs and certificates.
 *
 * EC keys are derived from the seed (the private scalar comes from the seeded
 * stream; ECDH computes the public point), so log keys and certificate keys
 * are reproducible. RSA keys cannot be derived cheaply, so a small pool is
 * generated once and kept in the cache directory, shared by every corpus.
 */
import { createECDH, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Rng } from './rng.js';

export type Curve = 'P-256' | 'P-384';

const CURVES: Record<Curve, { ecdh: string; bytes: number; spkiPrefix: string }> = {
  'P-256': { ecdh: 'prime256v1', bytes: 32, spkiPrefix: '3059301306072a8648ce3d020106082a8648ce3d030107034200' },
  'P-384': { ecdh: 'secp384r1', bytes: 48, spkiPrefix: '3076301006072a8648ce3d020106052b81040022036200' },
};

/** Public point (uncompressed) for a seeded private scalar. */
function ecPoint(curve: Curve, d: Buffer): Buffer {
  const ecdh = createECDH(CURVES[curve].ecdh);
  ecdh.setPrivateKey(d);
  return ecdh.getPublicKey();
}

function scalar(rng: Rng, curve: Curve): Buffer {
  const d = rng.bytes(CURVES[curve].bytes);
  d[0] &= 0x7f; // stays below the group order of both curves
  d[d.length - 1] |= 1;
  return d;
}

/** An EC private key derived from the seeded stream. */
export function ecPrivateKey(rng: Rng, curve: Curve): KeyObject {
  const d = scalar(rng, curve);
  const point = ecPoint(curve, d);
  const n = CURVES[curve].bytes;
  const b64 = (b: Buffer): string => b.toString('base64url');
  return createPrivateKey({
    key: { kty: 'EC', crv: curve, d: b64(d), x: b64(point.subarray(1, 1 + n)), y: b64(point.subarray(1 + n)) },
    format: 'jwk',
  });
}

/** Only the SubjectPublicKeyInfo of a fresh EC key: what a leaf certificate needs, at a fraction of the cost. */
export function ecSpki(rng: Rng, curve: Curve): Buffer {
  return Buffer.concat([Buffer.from(CURVES[curve].spkiPrefix, 'hex'), ecPoint(curve, scalar(rng, curve))]);
}

export function spkiOf(key: KeyObject): Buffer {
  return createPublicKey(key).export({ type: 'spki', format: 'der' });
}

export const RSA_POOL_SIZE = 24;
const RSA_POOL_FILE = 'rsa-key-pool-v1.json';

function readPool(file: string): KeyObject[] | null {
  try {
    const pems = JSON.parse(readFileSync(file, 'utf8')) as string[];
    if (Array.isArray(pems) && pems.length === RSA_POOL_SIZE) return pems.map((pem) => createPrivateKey(pem));
  } catch {
    // missing or unreadable
  }
  return null;
}

/**
 * The shared pool of RSA-2048 keys, generated on first use (in parallel) and cached.
 * Concurrent test processes wait for the one holding the lock instead of all generating.
 */
export async function rsaKeyPool(cacheDir: string): Promise<KeyObject[]> {
  const file = join(cacheDir, RSA_POOL_FILE);
  const existing = readPool(file);
  if (existing) return existing;
  mkdirSync(cacheDir, { recursive: true });
  const lock = `${file}.lock`;
  let locked = false;
  try {
    closeSync(openSync(lock, 'wx'));
    locked = true;
  } catch {
    for (let waited = 0; waited < 60_000; waited += 200) {
      await new Promise((r) => setTimeout(r, 200));
      const pool = readPool(file);
      if (pool) return pool;
      if (!existsSync(lock)) break;
    }
  }
  try {
    const gen = promisify(generateKeyPair);
    const pairs = await Promise.all(Array.from({ length: RSA_POOL_SIZE }, () => gen('rsa', { modulusLength: 2048 })));
    const keys = pairs.map((p) => p.privateKey);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(keys.map((k) => k.export({ type: 'pkcs8', format: 'pem' }))));
    renameSync(tmp, file);
    return keys;
  } finally {
    if (locked) rmSync(lock, { force: true });
  }
}
