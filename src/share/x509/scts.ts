/**
 * The embedded SCT list of a final certificate (RFC 6962 §3.3, extension
 * 1.3.6.1.4.1.11129.2.4.2): which logs the CA submitted the precertificate
 * to, and when each promised to log it. ctjp uses it to measure how complete
 * its own collection is (docs/analysis.md, "How complete is the data?"); a phishing detector can use
 * it too (a certificate logged only in unusual logs, or long after issue).
 *
 * Why hand-written: the list is TLS presentation-language encoding inside an
 * OCTET STRING, not ASN.1, and no dependency of the project decodes it. Like
 * der.ts it never reads past the length that frames it: every length is
 * checked against its parent's end before it is used.
 */
import { CtDecodeError } from '../ct/index.js';

/** One embedded SCT, as far as ctjp needs it (the signature is not kept: ctjp does not verify it). */
export interface Sct {
  /** 0 is v1, the only version RFC 6962 defines. */
  version: number;
  /** Base64 of the 32-byte log ID: SHA-256 of the log's DER SubjectPublicKeyInfo. */
  logId: string;
  /** Milliseconds since the epoch, as the log stamped it. */
  timestamp: number;
}

export interface DecodedSctList {
  /** The v1 SCTs, in list order. */
  scts: Sct[];
  /** Versions of the SCTs left out because their layout is unknown (each framed correctly, so skipping is safe). */
  unknownVersions: number[];
}

const V1 = 0;
/** version(1) log_id(32) timestamp(8) extensions length(2) ... hash(1) signature algorithm(1) signature length(2). */
const V1_MIN = 1 + 32 + 8 + 2 + 1 + 1 + 2;

function u16(buf: Buffer, pos: number): number {
  return (buf[pos] << 8) | buf[pos + 1];
}

/**
 * Decode a SignedCertificateTimestampList occupying exactly [start, end) of `buf` (the contents of
 * the extension's inner OCTET STRING). Throws CtDecodeError, naming the SCT and the offset, when a
 * length lies, the list is truncated or has bytes after it, or a v1 SCT does not add up.
 */
export function decodeSctList(buf: Buffer, start: number, end: number): DecodedSctList {
  if (end - start < 2) throw new CtDecodeError(`SCT list: ${end - start} bytes, too short for its length field`);
  const listLength = u16(buf, start);
  if (start + 2 + listLength !== end) throw new CtDecodeError(`SCT list: length field says ${listLength} bytes, ${end - start - 2} follow`);
  const scts: Sct[] = [];
  const unknownVersions: number[] = [];
  let pos = start + 2;
  for (let i = 0; pos < end; i++) {
    if (pos + 2 > end) throw new CtDecodeError(`SCT ${i}: truncated length at offset ${pos}`);
    const len = u16(buf, pos);
    const body = pos + 2;
    const sctEnd = body + len;
    if (len === 0) throw new CtDecodeError(`SCT ${i}: empty at offset ${pos}`);
    if (sctEnd > end) throw new CtDecodeError(`SCT ${i}: length ${len} at offset ${pos} overruns the list (ends ${end})`);
    const version = buf[body];
    if (version !== V1) unknownVersions.push(version);
    else scts.push(decodeV1(buf, body, sctEnd, i));
    pos = sctEnd;
  }
  return { scts, unknownVersions };
}

function decodeV1(buf: Buffer, body: number, end: number, i: number): Sct {
  if (end - body < V1_MIN) throw new CtDecodeError(`SCT ${i}: ${end - body} bytes, a v1 SCT needs at least ${V1_MIN}`);
  const logId = buf.toString('base64', body + 1, body + 33);
  const high = buf.readUInt32BE(body + 33);
  const low = buf.readUInt32BE(body + 37);
  // A timestamp beyond 2^53 ms (year 287396) cannot be a real one, and a JS number would round it.
  if (high >= 0x200000) throw new CtDecodeError(`SCT ${i}: timestamp beyond 2^53 ms`);
  const timestamp = high * 0x1_0000_0000 + low;
  const extLen = u16(buf, body + 41);
  const sigAt = body + 43 + extLen;
  if (sigAt + 4 > end) throw new CtDecodeError(`SCT ${i}: extensions length ${extLen} overruns the SCT`);
  const sigLen = u16(buf, sigAt + 2);
  if (sigAt + 4 + sigLen !== end) throw new CtDecodeError(`SCT ${i}: signature length ${sigLen} does not end where the SCT does`);
  return { version: V1, logId, timestamp };
}
