/**
 * Distinct certificates for benchmarks: the real leaves of test/data/ct-real
 * with a fresh random serial number written over the original one (same
 * length, so no DER lengths change). The serial is part of the certificate
 * identity, so every generated leaf is a distinct certificate. Only the leaves
 * that cover a .jp name serve as templates: the manager refuses any other.
 */
import { randomFillSync } from 'node:crypto';
import { decodeMerkleTreeLeaf, encodeMerkleTreeLeaf } from '../../src/share/ct/index.js';
import { parseLeaf } from '../../src/share/x509/index.js';
import { loadRealEntries } from '../../tools/fixtures/ct-real.js';

/** Offset and length of the serial INTEGER inside a TBSCertificate starting at pos. */
function serialIn(der: Uint8Array, tbsPos: number): { at: number; len: number } {
  const header = (pos: number): { body: number; len: number } => {
    const first = der[pos + 1];
    if (first < 0x80) return { body: pos + 2, len: first };
    const n = first & 0x7f;
    let len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[pos + 2 + i];
    return { body: pos + 2 + n, len };
  };
  let pos = header(tbsPos).body;
  if (der[pos] === 0xa0) {
    const v = header(pos);
    pos = v.body + v.len;
  }
  if (der[pos] !== 0x02) throw new Error('no serial INTEGER where expected');
  const s = header(pos);
  return { at: s.body, len: s.len };
}

export function distinctLeaves(count: number, firstTimestamp = Date.UTC(2025, 11, 1)): Buffer[] {
  // Templates with serials of 8 bytes or more: enough room for random, distinct serials.
  const templates = loadRealEntries()
    .filter((e) => parseLeaf(e.leafInput).coversJp)
    .map((e) => decodeMerkleTreeLeaf(e.leafInput))
    .filter((t) => serialIn(t.signedEntry, t.entryType === 'x509_entry' ? serialTbsOffset(t.signedEntry) : 0).len >= 8);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const t = templates[i % templates.length];
    const der = Buffer.from(t.signedEntry);
    const serial = serialIn(der, t.entryType === 'x509_entry' ? serialTbsOffset(der) : 0);
    randomFillSync(der, serial.at, serial.len);
    der[serial.at] = (der[serial.at] & 0x7f) | 0x01;
    out.push(Buffer.from(encodeMerkleTreeLeaf({ ...t, signedEntry: der, timestamp: firstTimestamp + i * 1000 })));
  }
  return out;
}

/** In a Certificate, the TBSCertificate starts right after the outer SEQUENCE header. */
function serialTbsOffset(der: Uint8Array): number {
  const first = der[1];
  return first < 0x80 ? 2 : 2 + (first & 0x7f);
}
