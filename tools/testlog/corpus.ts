/**
 * Generation of the corpus: CA hierarchy, `.jp` lineages with their
 * certificates and precertificates, a pool of filler certificates per CA,
 * and for each log the ordered entry table with its leaf hashes.
 *
 * Entries are stored as references into one object table (DER blobs), so a
 * log of millions of entries needs a few bytes per entry plus its hashes;
 * leaf_input and extra_data are assembled when served.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { buildCas, POLICY_OIDS, type Issuer } from './cas.js';
import type { ExpectedCertificate, ExpectedData, ExpectedEntry, ExpectedLineage, JstFlags } from './expected.js';
import { DAY_MS, jstFacts } from './jst.js';
import { ecPrivateKey, ecSpki, spkiOf } from './keys.js';
import { NameSource, siteNames } from './names.js';
import { planLineages, WINDOW_END, WINDOW_START, type PlannedIssuance } from './plan.js';
import { Rng } from './rng.js';
import { encodeName, encodeTbs, ext, nameToString, precertSct, SIG_ALG_OIDS, sctListBytes, signTbs, type Attr, type SctSigner } from './x509.js';

/** Bump when the generated content changes: it keys the on-disk cache. */
export const GENERATOR_VERSION = 1;

export const ENTRY_X509 = 0;
export const ENTRY_PRECERT = 1;
export const NO_OBJECT = 0xffffffff;

export interface LogTable {
  name: string;
  size: number;
  ts: Float64Array;
  type: Uint8Array;
  /** Object id of the signed entry: the certificate (x509) or the leaf TBS (precert). */
  obj: Uint32Array;
  /** Object id of the full precertificate, NO_OBJECT for x509 entries. */
  pre: Uint32Array;
  chain: Uint16Array;
  hashes: Buffer;
  /**
   * The log speaks static-ct-api: every leaf's TimestampedEntry carries the leaf_index
   * extension (its own index), which is part of what the leaf hash covers. False: empty
   * extensions, as RFC 6962 logs write them.
   */
  leafIndex: boolean;
}

export interface Chain {
  issuerId: string;
  keyHash: Buffer;
  /** Object ids: the issuing intermediate, then the root. */
  certs: number[];
}

export interface PoolItem {
  chain: number;
  tbs: number;
  precert: number;
  final: number;
  issuedAt: number;
}

export interface Corpus {
  objects: Buffer[];
  chains: Chain[];
  roots: number[];
  pool: PoolItem[];
  logs: LogTable[];
  expected: ExpectedData;
}

export interface CorpusSpec {
  seed: string;
  /** `api: 'static-ct-api'`: the log's leaves carry the leaf_index extension. */
  logs: { name: string; size: number; api?: 'rfc6962' | 'static-ct-api' }[];
  /** Share of entries that are `.jp` (before the minimum number of lineages). */
  jpShare: number;
}

export function logPrivateKey(seed: string, logName: string): KeyObject {
  return ecPrivateKey(new Rng(seed, `log-key:${logName}`), 'P-256');
}

const sha256hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
const round4 = (x: number): number => Math.round(x * 10000) / 10000;

function jstFlags(ms: number): JstFlags {
  const f = jstFacts(ms);
  return { jst_date: f.date, jst_time: f.time, weekday: f.weekday, weekend: f.weekend, holiday: f.holiday, holiday_name: f.holidayName };
}

function serialBytes(rng: Rng): Buffer {
  const b = rng.bytes(16);
  b[0] = (b[0] & 0x7f) | 0x01;
  return b;
}

const FILLER_ISSUER_WEIGHTS: readonly (readonly [string, number])[] = [
  ['le-r11', 30], ['le-e6', 20], ['gs-dv', 5], ['gs-ov', 4], ['gs-ev', 1], ['dc-rsa', 8], ['dc-ecc', 5], ['dc-ev', 1],
  ['jprs-dv', 1], ['jprs-ov', 1], ['secom-ov', 1], ['secom-ev', 0.5], ['ctj-ov', 0.5], ['ctj-ev', 0.3],
];

interface LeafInput {
  issuer: Issuer;
  serial: Buffer;
  notBefore: number;
  notAfter: number;
  subject: Attr[];
  sans: string[];
  spki: Buffer;
  level: Issuer['levels'][number];
  crlUrl: string | null;
}

interface BuiltLeaf {
  leafTbs: Buffer;
  precert: Buffer | null;
  final: Buffer;
  policies: string[];
}

/** Write and sign one issuance; with SCTs from the given logs embedded in the final certificate. */
function buildLeaf(x: LeafInput, scts: ((leafTbs: Buffer) => Buffer[]) | null): BuiltLeaf {
  const rsa = x.spki[8] === 0x2a && x.spki[9] === 0x86 && x.spki[14] === 0x01; // rsaEncryption OID 1.2.840.113549.1.1.1
  const policies = [POLICY_OIDS[x.level], ...(x.issuer.caPolicy && x.level !== 'DV' ? [x.issuer.caPolicy] : [])];
  const exts = [
    ext.keyUsageLeaf(rsa),
    ext.extKeyUsage(),
    ext.basicConstraints(false),
    ext.subjectKeyId(x.spki),
    ext.authorityKeyId(x.issuer.spki),
    ext.aia(x.issuer.ocsp, x.issuer.caIssuers),
    ext.san(x.sans),
    ext.policies(policies),
    ...(x.crlUrl ? [ext.crlDistributionPoints(x.crlUrl)] : []),
  ];
  const fields = {
    serial: x.serial,
    signatureAlg: x.issuer.signer.alg,
    issuer: x.issuer.name,
    notBefore: new Date(x.notBefore),
    notAfter: new Date(x.notAfter),
    subject: encodeName(x.subject),
    spki: x.spki,
  };
  const leafTbs = encodeTbs({ ...fields, extensions: exts });
  if (!scts) return { leafTbs, precert: null, final: signTbs(leafTbs, x.issuer.signer), policies };
  const precert = signTbs(encodeTbs({ ...fields, extensions: [...exts, ext.poison()] }), x.issuer.signer);
  const final = signTbs(encodeTbs({ ...fields, extensions: [...exts, ext.sctList(sctListBytes(scts(leafTbs)))] }), x.issuer.signer);
  return { leafTbs, precert, final, policies };
}

function subjectAttrs(level: string, cn: string, org: { organization: string; locality: string; state: string; government?: boolean }, country: string, rng: Rng): Attr[] {
  if (level === 'DV') return [['CN', cn]];
  if (level === 'IV') return [['C', country], ['ST', org.state], ['L', org.locality], ['CN', cn]];
  const base: Attr[] = [['C', country], ['ST', org.state], ['L', org.locality], ['O', org.organization], ['CN', cn]];
  if (level === 'OV') return base;
  const corpNumber = Array.from({ length: 13 }, () => rng.int(10)).join('');
  return [['businessCategory', org.government ? 'Government Entity' : 'Private Organization'], ['jurisdictionC', country], ['serialNumber', corpNumber], ...base];
}

function crlUrlFor(issuer: Issuer, notBefore: number, rng: Rng): string | null {
  if (!issuer.crlBase) return null;
  // Let's Encrypt added CRL distribution points to its certificates in 2025.
  if (issuer.ca === "Let's Encrypt" && notBefore < Date.UTC(2025, 4, 1)) return null;
  return `${issuer.crlBase}${issuer.ca === "Let's Encrypt" ? rng.range(1, 128) + '.crl' : 'fullcrl.crl'}`;
}

export async function generateCorpus(spec: CorpusSpec, rsaKeys: KeyObject[]): Promise<Corpus> {
  const seed = spec.seed;
  const rng = (stream: string): Rng => new Rng(seed, stream);
  const cas = buildCas(rng('cas'), rsaKeys);
  const leafRsa = rsaKeys.slice(16).map((k) => spkiOf(k));
  const objects: Buffer[] = [];
  const add = (b: Buffer): number => objects.push(b) - 1;
  const roots = cas.roots.map(add);
  const rootIndex = new Map(cas.roots.map((r, i) => [r, roots[i]]));
  const chains: Chain[] = cas.issuers.map((iss) => ({ issuerId: iss.id, keyHash: iss.keyHash, certs: [add(iss.cert), rootIndex.get(iss.root)!] }));
  const chainOf = new Map(cas.issuers.map((iss, i) => [iss.id, i]));
  const logSigners: SctSigner[] = spec.logs.map((l) => {
    const key = logPrivateKey(seed, l.name);
    return { key, logId: createHash('sha256').update(spkiOf(key)).digest() };
  });

  // --- .jp lineages ---
  const names = new NameSource(rng('names'));
  const totalEntries = spec.logs.reduce((s, l) => s + l.size, 0);
  const plan = planLineages(rng('lineages'), names, totalEntries, spec.logs.length, spec.jpShare);
  const certRng = rng('jp-certs');
  const jpPerLog: { ts: number; type: number; obj: number; pre: number; chain: number; cert: number }[][] = spec.logs.map(() => []);
  const certificates: ExpectedCertificate[] = [];
  const sanOf: string[][] = [];
  const lineages: ExpectedLineage[] = [];
  for (const [li, lineage] of plan.lineages.entries()) {
    const issuer = cas.byId.get(lineage.issuerId)!;
    let keptSpki: Buffer | null = null;
    const ids: string[] = [];
    for (const [ii, iss] of lineage.issuances.entries()) {
      const subs = plan.submissions[li][ii];
      const spki: Buffer = lineage.reuseKey && keptSpki ? keptSpki : lineage.keyType === 'EC' ? ecSpki(certRng, 'P-256') : certRng.pick(leafRsa);
      keptSpki = spki;
      const serial = serialBytes(certRng);
      const leaf: LeafInput = {
        issuer,
        serial,
        notBefore: iss.notBefore,
        notAfter: iss.notAfter,
        subject: subjectAttrs(lineage.level, lineage.names[0], lineage.subject, 'JP', certRng),
        sans: lineage.names,
        spki,
        level: lineage.level,
        crlUrl: crlUrlFor(issuer, iss.notBefore, certRng),
      };
      const built = buildLeaf(
        leaf,
        subs.precert.length > 0 ? (tbs) => subs.precert.map((s) => precertSct(logSigners[s.log], s.timestamp, issuer.keyHash, tbs)) : null,
      );
      const id = `C${String(certificates.length).padStart(6, '0')}`;
      ids.push(id);
      const chain = chainOf.get(issuer.id)!;
      const finalObj = add(built.final);
      if (built.precert) {
        const tbsObj = add(built.leafTbs);
        const preObj = add(built.precert);
        for (const s of subs.precert) jpPerLog[s.log].push({ ts: s.timestamp, type: ENTRY_PRECERT, obj: tbsObj, pre: preObj, chain, cert: certificates.length });
      }
      for (const s of subs.final) jpPerLog[s.log].push({ ts: s.timestamp, type: ENTRY_X509, obj: finalObj, pre: NO_OBJECT, chain, cert: certificates.length });
      sanOf.push(lineage.names);
      certificates.push({
        id,
        lineage: lineage.id,
        issuer_dn: issuer.dn,
        subject_dn: nameToString(leaf.subject),
        common_name: lineage.names[0],
        serial_hex: serial.toString('hex').replace(/^0+/, ''),
        not_before: iso(iss.notBefore),
        not_after: iso(iss.notAfter),
        validity_days: Math.round((iss.notAfter + 1000 - iss.notBefore) / DAY_MS),
        san_dns: lineage.names,
        ca: issuer.ca,
        issuer_id: issuer.id,
        validation_level: lineage.level,
        policy_oids: built.policies,
        key_algorithm: lineage.keyType,
        key_size: lineage.keyType === 'RSA' ? 2048 : 256,
        signature_algorithm: SIG_ALG_OIDS[issuer.signer.alg],
        wildcard: lineage.wildcard,
        crl_urls: leaf.crlUrl ? [leaf.crlUrl] : [],
        cert_sha256: sha256hex(built.final),
        precert_sha256: built.precert ? sha256hex(built.precert) : null,
        leaf_tbs_sha256: built.precert ? sha256hex(built.leafTbs) : null,
        spki_sha256: sha256hex(spki),
        issued: jstFlags(iss.notBefore),
        sightings: [],
      });
    }
    lineages.push(lineageRecord(lineage.id, lineage, ids, issuer));
  }

  // --- filler pool: a few really signed certificates per CA, spread over the window ---
  const poolRng = rng('pool');
  const fillerNames = new NameSource(rng('filler-names'));
  const poolTotal = Math.min(2000, Math.max(150, Math.round(totalEntries / 400)));
  const weightSum = FILLER_ISSUER_WEIGHTS.reduce((s, [, w]) => s + w, 0);
  const pool: PoolItem[] = [];
  const poolByIssuer: { chain: number; weight: number; items: PoolItem[] }[] = [];
  for (const [issuerId, weight] of FILLER_ISSUER_WEIGHTS) {
    const issuer = cas.byId.get(issuerId)!;
    const n = Math.max(4, Math.round((poolTotal * weight) / weightSum));
    const items: PoolItem[] = [];
    const span = WINDOW_END - WINDOW_START + 30 * DAY_MS;
    for (let k = 0; k < n; k++) {
      const issuedAt = WINDOW_START - 30 * DAY_MS + Math.floor(((k + poolRng.next()) * span) / n);
      const notBefore = Math.floor((issuer.acme ? issuedAt - 3600_000 : issuedAt) / 1000) * 1000;
      const validity = issuer.acme ? 90 : notBefore < Date.UTC(2026, 2, 15) ? 365 + poolRng.int(31) : 180 + poolRng.int(20);
      const level = poolRng.pick(issuer.levels);
      const domain = fillerNames.other();
      const wildcard = level !== 'EV' && poolRng.chance(0.12);
      const sans = siteNames(poolRng, domain, wildcard);
      const ec = issuer.keyType === 'EC' || poolRng.chance(0.3);
      const spki = ec ? ecSpki(poolRng, 'P-256') : poolRng.pick(leafRsa);
      const org = { organization: fillerNames.otherOrganization(domain), locality: 'Springfield', state: 'State' };
      const sctLogs = poolRng.sample(logSigners, Math.min(2, logSigners.length));
      const built = buildLeaf(
        {
          issuer,
          serial: serialBytes(poolRng),
          notBefore,
          notAfter: notBefore + validity * DAY_MS - 1000,
          subject: subjectAttrs(level, sans[0], org, poolRng.pick(['US', 'DE', 'GB', 'FR', 'NL', 'AU', 'CA']), poolRng),
          sans,
          spki,
          level,
          crlUrl: crlUrlFor(issuer, notBefore, poolRng),
        },
        (tbs) => sctLogs.map((l) => precertSct(l, issuedAt + 1000, issuer.keyHash, tbs)),
      );
      const item: PoolItem = { chain: chainOf.get(issuerId)!, tbs: add(built.leafTbs), precert: add(built.precert!), final: add(built.final), issuedAt };
      items.push(item);
      pool.push(item);
    }
    poolByIssuer.push({ chain: chainOf.get(issuerId)!, weight, items });
  }
  const cumulative: number[] = [];
  let acc = 0;
  for (const p of poolByIssuer) cumulative.push((acc += p.weight / weightSum));

  // --- per log: merge the .jp entries (by timestamp) with filler entries ---
  const logs: LogTable[] = [];
  const jpEntries: ExpectedEntry[] = [];
  for (const [li, logSpec] of spec.logs.entries()) {
    const jp = jpPerLog[li].sort((a, b) => a.ts - b.ts);
    const fillerCount = Math.max(0, logSpec.size - jp.length);
    const size = fillerCount + jp.length;
    const fr = rng(`filler:${logSpec.name}`);
    const t: LogTable = {
      name: logSpec.name,
      size,
      ts: new Float64Array(size),
      type: new Uint8Array(size),
      obj: new Uint32Array(size),
      pre: new Uint32Array(size),
      chain: new Uint16Array(size),
      hashes: Buffer.alloc(32 * size),
      leafIndex: logSpec.api === 'static-ct-api',
    };
    const spacing = (WINDOW_END - WINDOW_START) / Math.max(1, fillerCount);
    let j = 0;
    let f = 0;
    for (let i = 0; i < size; i++) {
      const fillerTs = f < fillerCount ? Math.floor(WINDOW_START + (f + 0.5) * spacing + (fr.next() - 0.5) * 180_000) : Infinity;
      if (j < jp.length && jp[j].ts <= fillerTs) {
        const e = jp[j++];
        t.ts[i] = e.ts;
        t.type[i] = e.type;
        t.obj[i] = e.obj;
        t.pre[i] = e.pre;
        t.chain[i] = e.chain;
        const c = certificates[e.cert];
        const entryType = e.type === ENTRY_PRECERT ? 'precert_entry' : 'x509_entry';
        jpEntries.push({ log: logSpec.name, index: i, entry_type: entryType, sha256: e.type === ENTRY_PRECERT ? c.leaf_tbs_sha256! : c.cert_sha256, names: sanOf[e.cert], certificate: c.id, timestamp: e.ts });
        c.sightings.push({ log: logSpec.name, index: i, entry_type: entryType, timestamp: e.ts });
        continue;
      }
      f++;
      const x = fr.next();
      let p = 0;
      while (cumulative[p] < x && p < cumulative.length - 1) p++;
      const items = poolByIssuer[p].items;
      let k = Math.floor(((fillerTs - (WINDOW_START - 30 * DAY_MS)) / (WINDOW_END - WINDOW_START + 30 * DAY_MS)) * items.length) - fr.int(3);
      k = Math.min(items.length - 1, Math.max(0, k));
      const item = items[k];
      t.ts[i] = fillerTs;
      const precert = fr.next() < 0.7;
      t.type[i] = precert ? ENTRY_PRECERT : ENTRY_X509;
      t.obj[i] = precert ? item.tbs : item.final;
      t.pre[i] = precert ? item.precert : NO_OBJECT;
      t.chain[i] = item.chain;
    }
    hashEntries(t, 0, size, objects, chains);
    logs.push(t);
  }

  const expected: ExpectedData = {
    generator_version: GENERATOR_VERSION,
    seed,
    window: { start: iso(WINDOW_START), end: iso(WINDOW_END) },
    logs: logs.map((l) => ({ name: l.name, tree_size: l.size, jp_entries: jpPerLog[spec.logs.findIndex((s) => s.name === l.name)].length })),
    jp_entries: jpEntries,
    certificates: certificates.filter((c) => c.sightings.length > 0),
    lineages,
  };
  return { objects, chains, roots, pool, logs, expected };
}

function lineageRecord(id: string, l: { cls: ExpectedLineage['class']; style: ExpectedLineage['style']; subject: { domain: string; orgType: ExpectedLineage['org_type'] }; names: string[]; level: ExpectedLineage['validation_level']; issuances: PlannedIssuance[] }, ids: string[], issuer: Issuer): ExpectedLineage {
  const renewals = l.issuances.slice(1).map((iss, k) => {
    const prev = l.issuances[k];
    const beforeExpiry = (prev.notAfter - iss.notBefore) / DAY_MS;
    const lapsed = iss.notBefore > prev.notAfter;
    return {
      previous: ids[k],
      certificate: ids[k + 1],
      renewed_at: iso(iss.notBefore),
      ...jstFlags(iss.notBefore),
      days_since_previous_issuance: round4((iss.notBefore - prev.notBefore) / DAY_MS),
      days_before_previous_expiry: round4(beforeExpiry),
      lapsed,
      gap_days: lapsed ? round4((iss.notBefore - prev.notAfter) / DAY_MS) : 0,
    };
  });
  return {
    id,
    class: l.cls,
    style: l.style,
    domain: l.subject.domain,
    org_type: l.subject.orgType,
    names: l.names,
    ca: issuer.ca,
    issuer_id: issuer.id,
    validation_level: l.level,
    certificates: ids,
    renewals,
    gaps_days: renewals.filter((r) => r.lapsed).map((r) => r.gap_days),
  };
}

const LEAF_PREFIX_MAX = 3 + 8 + 2 + 32 + 3;
/** Longest extensions vector written: uint16 length and the 8-byte leaf_index extension. */
export const LEAF_SUFFIX_MAX = 2 + 8;

/** Leaf hashes for entries [from, to): SHA-256(0x00 || leaf_input), streamed without building leaf_input. */
export function hashEntries(t: LogTable, from: number, to: number, objects: Buffer[], chains: Chain[]): void {
  const prefix = Buffer.alloc(LEAF_PREFIX_MAX);
  const suffix = Buffer.alloc(LEAF_SUFFIX_MAX);
  for (let i = from; i < to; i++) {
    const body = objects[t.obj[i]];
    const n = writeLeafPrefix(prefix, 1, t, i, body.length, chains);
    const m = writeLeafSuffix(suffix, 0, t, i);
    createHash('sha256').update(prefix.subarray(0, n)).update(body).update(suffix.subarray(0, m)).digest().copy(t.hashes, 32 * i);
  }
}

/**
 * The TimestampedEntry's extensions after the certificate body, written at `at`: empty, or
 * the leaf_index extension (type 0, length 5, uint40 index) in a static-ct-api log. Returns
 * the end offset.
 */
export function writeLeafSuffix(buf: Buffer, at: number, t: LogTable, i: number): number {
  if (!t.leafIndex) {
    buf.writeUInt16BE(0, at);
    return at + 2;
  }
  buf.writeUInt16BE(8, at);
  buf[at + 2] = 0; // extension_type leaf_index
  buf.writeUInt16BE(5, at + 3);
  buf.writeUIntBE(i, at + 5, 5);
  return at + 10;
}

/** MerkleTreeLeaf bytes before the certificate body, written at `at`; returns the end offset. */
export function writeLeafPrefix(buf: Buffer, at: number, t: LogTable, i: number, bodyLength: number, chains: Chain[]): number {
  buf[at] = 0; // version v1
  buf[at + 1] = 0; // timestamped_entry
  buf.writeBigUInt64BE(BigInt(t.ts[i]), at + 2);
  buf.writeUInt16BE(t.type[i], at + 10);
  let p = at + 12;
  if (t.type[i] === ENTRY_PRECERT) {
    chains[t.chain[i]].keyHash.copy(buf, p);
    p += 32;
  }
  buf.writeUIntBE(bodyLength, p, 3);
  return p + 3;
}
