// Hostile input: random, truncated and bit-flipped leaves and certificates. The decoders may only
// throw CtDecodeError, always return (bounded reader, no unbounded recursion), and the prefilter
// still never rejects a leaf that parses as .jp.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CtDecodeError, decodeMerkleTreeLeaf } from '../../../src/share/ct/index.js';
import { mayCoverJp, parseCertificate, parseLeaf } from '../../../src/share/x509/index.js';
import { loadRealCertificates, loadRealEntries } from '../../../tools/fixtures/ct-real.js';
import { tlv } from '../../helpers/der-builder.js';

const leaves = loadRealEntries().map((x) => x.leafInput);
const certs = loadRealCertificates().map((x) => x.der);

function onlyDecodeErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof CtDecodeError)) throw e;
  }
}

function exercise(leafInput: Uint8Array): void {
  const may = mayCoverJp(leafInput);
  onlyDecodeErrors(() => {
    const leaf = parseLeaf(leafInput);
    if (leaf.coversJp) assert.equal(may, true, 'prefilter rejected a leaf that parses as .jp');
  });
  onlyDecodeErrors(() => parseCertificate(leafInput, 'certificate'));
  onlyDecodeErrors(() => parseCertificate(leafInput, 'tbs'));
}

function mutate(base: Uint8Array, flips: [number, number][]): Uint8Array {
  const out = Buffer.from(base);
  for (const [pos, bit] of flips) out[pos % out.length] ^= 1 << bit;
  return out;
}

test('random bytes', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), (b) => exercise(b)), { numRuns: 2000 });
});

test('random bytes behind a valid leaf header', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), (body, precert) => {
      const head = precert ? Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]), Buffer.alloc(32)]) : Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
      const len = Buffer.from([body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]);
      exercise(Buffer.concat([head, len, body, Buffer.from([0, 0])]));
    }),
    { numRuns: 2000 },
  );
});

test('every truncation point of a few real leaves, and random truncations of all', () => {
  for (const leaf of leaves.slice(0, 6)) for (let n = 0; n < leaf.length; n += 7) exercise(leaf.subarray(0, n));
  fc.assert(fc.property(fc.constantFrom(...leaves, ...certs), fc.nat(), (b, n) => exercise(b.subarray(0, n % (b.length + 1)))), { numRuns: 2000 });
});

test('bit flips in real leaves and certificates', () => {
  const flips = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 });
  fc.assert(fc.property(fc.constantFrom(...leaves), flips, (b, f) => exercise(mutate(b, f))), { numRuns: 5000 });
  fc.assert(
    fc.property(fc.constantFrom(...certs), flips, (b, f) => {
      const m = mutate(b, f);
      onlyDecodeErrors(() => parseCertificate(m, 'certificate'));
    }),
    { numRuns: 2000 },
  );
});

test('bit flips inside the certificate of real leaves keep the leaf framing, so only the certificate is judged', () => {
  const flips = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 });
  fc.assert(
    fc.property(fc.constantFrom(...leaves), flips, (b, f) => {
      const entry = decodeMerkleTreeLeaf(b);
      const start = entry.signedEntry.byteOffset - b.byteOffset;
      const m = Buffer.from(b);
      for (const [pos, bit] of f) m[start + (pos % entry.signedEntry.length)] ^= 1 << bit;
      const leaf = parseLeaf(m); // the framing is intact: this must not throw
      assert.ok(leaf.fields !== null || leaf.error !== null);
      if (leaf.coversJp) assert.equal(mayCoverJp(m), true);
    }),
    { numRuns: 5000 },
  );
});

test('deep nesting and huge declared lengths end in CtDecodeError, quickly', () => {
  let deep: Uint8Array = Uint8Array.of(0x05, 0x00);
  for (let i = 0; i < 5000; i++) deep = tlv(0x30, deep);
  exercise(deep);
  exercise(Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x30, 0x00));
  exercise(Uint8Array.of(0x30, 0x80, 0x00, 0x00));
  assert.throws(() => parseCertificate(Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff), 'certificate'), CtDecodeError);
});
