/**
 * Last-resort reading of DER that the certificate parser refused: every
 * printable ASCII string found by a bounded walk (explicit stack, depth and
 * item limits, every length checked against its parent). Used only to name
 * the `.jp` candidates of an unparsable entry.
 */
import { CtDecodeError } from '../ct/index.js';
import { MAX_DEPTH, asBuffer, readTlv } from './der.js';

const STRING_TAGS = new Set([0x0c, 0x12, 0x13, 0x14, 0x16, 0x1a, 0x82]);
const MAX_ITEMS = 100_000;

export function asciiStrings(bytes: Uint8Array): string[] {
  const buf = asBuffer(bytes);
  const out: string[] = [];
  const stack: number[] = [buf.length];
  let pos = 0;
  let items = 0;
  while (stack.length > 0 && items++ < MAX_ITEMS) {
    const limit = stack[stack.length - 1];
    if (pos >= limit) {
      stack.pop();
      pos = limit;
      continue;
    }
    let t;
    try {
      t = readTlv(buf, pos, limit, 'scan', false);
    } catch (e) {
      if (!(e instanceof CtDecodeError)) throw e;
      // Broken here: give up on this level and continue after its parent.
      stack.pop();
      pos = limit;
      continue;
    }
    if (STRING_TAGS.has(t.tag)) {
      let ok = true;
      for (let i = t.body; i < t.end; i++) if (buf[i] < 0x21 || buf[i] > 0x7e) { ok = false; break; }
      if (ok && t.end > t.body) out.push(buf.toString('latin1', t.body, t.end));
      pos = t.end;
    } else if (t.tag & 0x20 || t.tag === 0x04) {
      // Constructed, or an OCTET STRING that usually wraps an extension's DER.
      if (stack.length >= MAX_DEPTH) {
        pos = t.end;
        continue;
      }
      stack.push(t.end);
      pos = t.body;
      // After the child level ends, continue after this TLV: the parent's limit handles it.
    } else pos = t.end;
  }
  return out;
}
