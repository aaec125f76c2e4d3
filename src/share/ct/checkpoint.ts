/**
 * Checkpoints of tiled logs (c2sp.org/tlog-checkpoint, c2sp.org/signed-note,
 * static-ct-api §Checkpoints): parsing, the RFC6962NoteSignature check with the
 * log's key, and writing one (for the test logs).
 *
 * A checkpoint signed this way is a get-sth answer in another shape: the
 * signature line carries the tree head's timestamp and its TreeHeadSignature,
 * so the result is a SignedTreeHead checked exactly as get-sth answers are.
 * Signature lines with other key names or IDs are ignored (logs add grease and
 * Ed25519 lines); the note must carry exactly one valid line for the log's key.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { concatBytes, u64 } from './bytes.js';
import { CtDecodeError } from './errors.js';
import { logId, logKeyFromSpki, verifySthSignature, type SignedTreeHead } from './sth.js';

/** Largest checkpoint accepted: a few lines and signatures. */
export const CHECKPOINT_MAX_BYTES = 16 * 1024;
/** signed-note: verifiers accept at least 16 signatures; more than this is refused as abuse. */
const MAX_SIGNATURES = 100;
const SIG_PREFIX = '\u2014 ';

export interface Checkpoint extends SignedTreeHead {
  origin: string;
}

/** The checkpoint origin of a tiled log: its submission prefix without scheme and trailing slash. */
export function originOf(submissionUrl: string): string {
  const u = new URL(submissionUrl);
  return `${u.host}${u.pathname}`.replace(/\/+$/, '');
}

/** The 4-byte key ID of an RFC6962NoteSignature: SHA-256(key name ‖ 0x0A ‖ 0x05 ‖ log ID)[:4]. */
export function rfc6962NoteKeyId(origin: string, spkiDer: Uint8Array): Buffer {
  return createHash('sha256')
    .update(Buffer.from(origin, 'utf8'))
    .update(Uint8Array.of(0x0a, 0x05))
    .update(logId(spkiDer))
    .digest()
    .subarray(0, 4);
}

interface ParsedNote {
  origin: string;
  treeSize: number;
  rootHash: Buffer;
  signatures: { name: string; body: Buffer }[];
}

function parseNote(text: string): ParsedNote {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) throw new CtDecodeError('checkpoint: control characters other than newline');
  if (text.includes('\uFFFD')) throw new CtDecodeError('checkpoint: not valid UTF-8');
  const split = text.lastIndexOf('\n\n');
  if (split < 0) throw new CtDecodeError('checkpoint: no blank line before the signatures');
  const body = text.slice(0, split + 1);
  const sigText = text.slice(split + 2);
  const lines = body.split('\n');
  lines.pop(); // body ends with a newline
  if (lines.length < 3) throw new CtDecodeError(`checkpoint: ${lines.length} lines of text, at least 3 expected`);
  const [origin, sizeText, rootText] = lines;
  if (origin === '') throw new CtDecodeError('checkpoint: empty origin line');
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw new CtDecodeError(`checkpoint: tree size ${JSON.stringify(sizeText.slice(0, 40))} is not a decimal integer`);
  if (!/^[A-Za-z0-9+/]{43}=$/.test(rootText)) throw new CtDecodeError('checkpoint: root hash is not 32 bytes of base64');
  if (!sigText.endsWith('\n')) throw new CtDecodeError('checkpoint: the last signature line does not end with a newline');
  const sigLines = sigText.slice(0, -1).split('\n');
  if (sigLines.length > MAX_SIGNATURES) throw new CtDecodeError(`checkpoint: more than ${MAX_SIGNATURES} signature lines`);
  const signatures = sigLines.map((line, i) => {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/.exec(line);
    if (!m) throw new CtDecodeError(`checkpoint: signature line ${i + 1} is malformed`);
    const sig = Buffer.from(m[2], 'base64');
    if (sig.length < 5) throw new CtDecodeError(`checkpoint: signature line ${i + 1} is too short`);
    return { name: m[1], body: sig };
  });
  // Extension lines (after the root) are allowed by tlog-checkpoint but not with an RFC 6962 signature.
  if (lines.length > 3) throw new CtDecodeError('checkpoint: extension lines are not allowed in an RFC 6962 checkpoint');
  return { origin, treeSize: Number(sizeText), rootHash: Buffer.from(rootText, 'base64'), signatures };
}

/**
 * Parse a checkpoint and check its RFC6962NoteSignature with the log key.
 * `origin`, when known (from the log's submission URL), must match the note's.
 * Throws CtDecodeError saying what is wrong.
 */
export function verifyCheckpoint(bytes: Uint8Array | string, spkiDer: Uint8Array, origin: string | null = null, key: KeyObject = logKeyFromSpki(spkiDer)): Checkpoint {
  if (bytes.length > CHECKPOINT_MAX_BYTES) throw new CtDecodeError(`checkpoint: ${bytes.length} bytes, more than ${CHECKPOINT_MAX_BYTES}`);
  const text = typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const note = parseNote(text);
  if (origin !== null && note.origin !== origin) throw new CtDecodeError(`checkpoint: origin ${JSON.stringify(note.origin.slice(0, 100))} is not the log's ${JSON.stringify(origin)}`);
  const keyId = rfc6962NoteKeyId(note.origin, spkiDer);
  const ours = note.signatures.filter((s) => s.name === note.origin && s.body.subarray(0, 4).equals(keyId));
  if (ours.length === 0) throw new CtDecodeError(`checkpoint: no signature line for ${note.origin} with key ID ${keyId.toString('hex')}`);
  if (ours.length > 1) throw new CtDecodeError('checkpoint: more than one signature line for the log key');
  const sig = ours[0].body;
  if (sig.length < 12 + 4) throw new CtDecodeError('checkpoint: RFC 6962 signature is too short');
  const timestamp = Number(sig.readBigUInt64BE(4));
  if (!Number.isSafeInteger(timestamp)) throw new CtDecodeError('checkpoint: signature timestamp exceeds 2^53');
  const sth: SignedTreeHead = { treeSize: note.treeSize, timestamp, rootHash: note.rootHash, signature: Buffer.from(sig.subarray(12)) };
  if (!verifySthSignature(sth, key)) throw new CtDecodeError(`checkpoint: the signature of ${note.origin} does not verify with the log key`);
  return { ...sth, origin: note.origin };
}

/**
 * Write a checkpoint for a signed tree head: the text, then `before` lines,
 * the log's RFC6962NoteSignature and `after` lines (already formatted
 * `— name base64` lines without newline, e.g. grease).
 */
export function formatCheckpoint(origin: string, sth: SignedTreeHead, spkiDer: Uint8Array, extra: { before?: string[]; after?: string[] } = {}): string {
  const body = concatBytes([rfc6962NoteKeyId(origin, spkiDer), u64(sth.timestamp), sth.signature]);
  const ours = `${SIG_PREFIX}${origin} ${Buffer.from(body).toString('base64')}`;
  const sigs = [...(extra.before ?? []), ours, ...(extra.after ?? [])];
  return `${origin}\n${sth.treeSize}\n${sth.rootHash.toString('base64')}\n\n${sigs.map((s) => `${s}\n`).join('')}`;
}
