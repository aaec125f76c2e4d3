/**
 * Decode benchmark: entries per second on one core for the worker's hot path
 * (decode a leaf and decide whether it is .jp), with and without the
 * byte-level prefilter, the lean certificate parser alone, and the reference
 * library (@peculiar/asn1-x509) for comparison.
 *
 * The mix repeats the real leaves of test/data/ct-real, weighted so that
 * .jp entries are 3% of it (real logs: about 0.5%), both entry types included.
 *
 * Usage: npm run bench:decode [-- --seconds N] [--jp-share 0.03]
 */
import { parseArgs } from 'node:util';
import { AsnParser } from '@peculiar/asn1-schema';
import { Certificate, TBSCertificate } from '@peculiar/asn1-x509';
import { decodeMerkleTreeLeaf } from '../src/share/ct/index.js';
import { mayCoverJp, parseCertificate, parseLeaf } from '../src/share/x509/index.js';
import { loadRealEntries } from '../tools/fixtures/ct-real.js';
import { referenceFields } from '../tools/fixtures/x509-reference.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '2' }, 'jp-share': { type: 'string', default: '0.03' }, size: { type: 'string', default: '20000' } },
});
const seconds = Number(values.seconds);
const jpShare = Number(values['jp-share']);
const size = Number(values.size);
if (!(seconds > 0) || !(jpShare >= 0 && jpShare <= 0.03) || !(size >= 1000)) {
  throw new Error('--seconds must be > 0, --jp-share in [0, 0.03] (at least 97% non-.jp), --size >= 1000');
}

// ------------------------------------------------------------------ the mix

const real = loadRealEntries();
const jp = real.filter((e) => e.expected.covers_jp).map((e) => e.leafInput);
const nonJp = real.filter((e) => !e.expected.covers_jp).map((e) => e.leafInput);

// Deterministic shuffle (xorshift) so every run times the same sequence.
let seed = 0x2545f491;
const rnd = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x100000000;
};
const jpCount = Math.floor(size * jpShare);
const mix: Uint8Array[] = [];
for (let i = 0; i < jpCount; i++) mix.push(jp[i % jp.length]);
for (let i = jpCount; i < size; i++) mix.push(nonJp[i % nonJp.length]);
for (let i = mix.length - 1; i > 0; i--) {
  const j = Math.floor(rnd() * (i + 1));
  [mix[i], mix[j]] = [mix[j], mix[i]];
}
const bodies = mix.map((leaf) => {
  const e = decodeMerkleTreeLeaf(leaf);
  return { der: e.signedEntry, kind: e.entryType === 'x509_entry' ? ('certificate' as const) : ('tbs' as const) };
});
const precerts = bodies.filter((b) => b.kind === 'tbs').length;

// ------------------------------------------------------------------ timing

/**
 * Runs `pass` (one sweep over the mix, returning how many entries it handled) until `seconds` of CPU
 * time are spent; best of 3 rounds. Rates are per CPU-second of this process (user + system, GC
 * threads included), so other load on the machine does not lower them the way wall time would.
 */
function measure(pass: () => number): number {
  pass(); // warm-up (JIT, OID cache)
  let best = 0;
  const cpuMicros = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  for (let round = 0; round < 3; round++) {
    const start = cpuMicros();
    const budget = (seconds / 3) * 1e6;
    let n = 0;
    let used = 0;
    while (used < budget) {
      n += pass();
      used = cpuMicros() - start;
    }
    best = Math.max(best, n / (used / 1e6));
  }
  return best;
}

let jpSeen = 0;
const withPrefilter = measure(() => {
  jpSeen = 0;
  for (const leaf of mix) if (mayCoverJp(leaf) && parseLeaf(leaf).coversJp) jpSeen++;
  return mix.length;
});
const jpWithPrefilter = jpSeen;
const withoutPrefilter = measure(() => {
  jpSeen = 0;
  for (const leaf of mix) if (parseLeaf(leaf).coversJp) jpSeen++;
  return mix.length;
});
if (jpSeen !== jpWithPrefilter || jpSeen !== jpCount) throw new Error(`.jp counts differ: ${jpWithPrefilter} with prefilter, ${jpSeen} without, ${jpCount} in the mix`);
const prefilterOnly = measure(() => {
  for (const leaf of mix) mayCoverJp(leaf);
  return mix.length;
});
const passed = mix.filter((leaf) => mayCoverJp(leaf)).length;
const leanParse = measure(() => {
  for (const b of bodies) parseCertificate(b.der, b.kind);
  return bodies.length;
});
const referenceParse = measure(() => {
  for (const b of bodies) {
    if (b.kind === 'certificate') AsnParser.parse(b.der, Certificate);
    else AsnParser.parse(b.der, TBSCertificate);
  }
  return bodies.length;
});
const referenceFieldsRate = measure(() => {
  for (const b of bodies) referenceFields(b.der, b.kind);
  return bodies.length;
});

// ------------------------------------------------------------------ report

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(11);
const line = (label: string, rate: number, unit = 'entries/s') => console.log(`${label.padEnd(58)}${fmt(rate)} ${unit}`);
console.log(`ctjp decode benchmark — Node ${process.version}, per CPU-second (one core), best of 3 rounds, ${seconds}s CPU each`);
console.log(
  `mix: ${mix.length} leaves from ${real.length} real ones, ${jpCount} .jp (${((100 * jpCount) / mix.length).toFixed(1)}%), ` +
    `${precerts} precert_entry / ${mix.length - precerts} x509_entry; prefilter passes ${passed} (${((100 * passed) / mix.length).toFixed(1)}%)`,
);
line('decode + .jp decision, with prefilter', withPrefilter);
line('decode + .jp decision, without prefilter (parse all)', withoutPrefilter);
line('prefilter alone (mayCoverJp)', prefilterOnly);
line('full parse alone, lean DER parser (parseCertificate)', leanParse, 'parses/s');
line('reference parse alone (@peculiar/asn1-x509 AsnParser)', referenceParse, 'parses/s');
line('reference field extraction (asn1-x509 + OpenSSL key)', referenceFieldsRate, 'parses/s');
console.log('ratios:');
console.log(`  with prefilter / without prefilter            ${(withPrefilter / withoutPrefilter).toFixed(1)}x`);
console.log(`  lean parse / reference parse                  ${(leanParse / referenceParse).toFixed(1)}x`);
console.log(`  lean parse / reference field extraction       ${(leanParse / referenceFieldsRate).toFixed(1)}x`);
