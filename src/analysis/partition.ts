/**
 * External hash partitioning: certificates are spilled to P files by a hash of their lineage key,
 * then each file is grouped in memory on its own. Every lineage lands in exactly one file, so memory
 * is bounded by the largest partition, not by the table.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnalysisCertificate, ValidationLevel } from './model.js';
import type { LineageGroup } from './summary.js';

/** Certificates per partition the grouping step aims at (a few hundred MB of heap at most). */
export const TARGET_PER_PARTITION = 100_000;

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const clean = (s: string): string => s.replace(/[\t\n\r,]/g, ' ');

interface Issuer {
  dn: string;
  org: string | null;
  cn: string | null;
}

/** What reading a partitioner's files back needs: plain data, so another thread can read them too. */
export interface PartitionFiles {
  dir: string;
  partitions: number;
  mode: 'exact' | 'per-name';
  /** The issuers the lines refer to by number. */
  issuers: readonly Issuer[];
}

/** Bytes buffered per partition file before a write (× P files). */
const SPILL_BUFFER = 128 * 1024;

/** Lines are encoded straight into a reused buffer: no per-line string joins, little garbage. */
class Spill {
  private readonly buf = Buffer.allocUnsafe(SPILL_BUFFER);
  private len = 0;
  constructor(readonly fh: FileHandle) {}
  /**
   * Adds key TAB body. Returns null when done, or a promise when the buffer had to be written (the
   * caller must wait for it before adding to this spill again: the buffer is being written).
   */
  put(key: string, body: string): Promise<void> | null {
    const worst = (key.length + body.length) * 3 + 1;
    if (this.len + worst > SPILL_BUFFER) {
      // a line longer than the whole buffer (an absurd SAN list) is written on its own
      if (worst > SPILL_BUFFER) return this.flush().then(() => this.fh.write(`${key}\t${body}`).then(() => {}));
      return this.flush().then(() => void this.put(key, body));
    }
    this.len += this.buf.write(key, this.len, 'utf8');
    this.buf[this.len++] = 9;
    this.len += this.buf.write(body, this.len, 'utf8');
    return null;
  }
  async flush(): Promise<void> {
    let done = 0;
    while (done < this.len) done += (await this.fh.write(this.buf, done, this.len - done)).bytesWritten;
    this.len = 0;
  }
}

export class Partitioner {
  private readonly issuers: Issuer[] = [];
  private readonly issuerIndex = new Map<string, number[]>();
  private spills: Spill[] = [];
  private constructor(
    private readonly dir: string,
    readonly partitions: number,
    /** exact: one line per certificate keyed by its SAN set; per-name: one line per .jp name. */
    private readonly mode: 'exact' | 'per-name',
  ) {}

  static async create(dir: string, expectedCertificates: number, mode: 'exact' | 'per-name', perPartition = TARGET_PER_PARTITION): Promise<Partitioner> {
    const p = new Partitioner(dir, Math.max(1, Math.ceil((expectedCertificates * (mode === 'per-name' ? 2 : 1)) / perPartition)), mode);
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < p.partitions; i++) p.spills.push(new Spill(await open(join(dir, `${mode}-${i}.tsv`), 'w')));
    return p;
  }

  private issuer(c: AnalysisCertificate): number {
    let list = this.issuerIndex.get(c.issuerDn);
    if (!list) this.issuerIndex.set(c.issuerDn, (list = []));
    for (const i of list) {
      const x = this.issuers[i];
      if (x.org === c.issuerOrg && x.cn === c.issuerCn) return i;
    }
    const i = this.issuers.length;
    this.issuers.push({ dn: c.issuerDn, org: c.issuerOrg, cn: c.issuerCn });
    list.push(i);
    return i;
  }

  /** Spills one certificate; returns a promise only when a buffer had to be written. */
  add(c: AnalysisCertificate): Promise<void> | null {
    const body = `${clean(c.id)}\t${c.notBefore}\t${c.notAfter}\t${c.ctTimestamp ?? ''}\t${this.issuer(c)}\t${clean(c.serialHex)}\t${c.validationLevel}\t${c.seenPrecert ? 1 : 0}${c.seenFinal ? 1 : 0}\t${c.names.join(',')}\n`;
    if (this.mode === 'exact') {
      const key = c.names.join(',');
      return this.spills[fnv1a(key) % this.partitions].put(key, body);
    }
    return this.putNames(c.names, body, 0);
  }

  private putNames(names: readonly string[], body: string, from: number): Promise<void> | null {
    for (let i = from; i < names.length; i++) {
      const n = names[i];
      // names are normalised already (lower case, no trailing dot), so the suffix test is the .jp test
      if (!n.endsWith('.jp')) continue;
      const p = this.spills[fnv1a(n) % this.partitions].put(n, body);
      if (p) return p.then(() => this.putNames(names, body, i + 1) ?? undefined);
    }
    return null;
  }

  async close(): Promise<void> {
    for (const s of this.spills) {
      await s.flush();
      await s.fh.close();
    }
    this.spills = [];
  }

  /** The files written (after close()), for readGroups on this thread or another. */
  files(): PartitionFiles {
    return { dir: this.dir, partitions: this.partitions, mode: this.mode, issuers: this.issuers };
  }

  /** The lineage groups, partition by partition (see readGroups); each file is removed once read. */
  groups(): AsyncGenerator<LineageGroup> {
    return readGroups(this.files());
  }

  async dispose(): Promise<void> {
    await this.close().catch(() => {});
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * The lineage groups, partition by partition. Lines are parsed with a cursor (no split) and, in
 * exact mode, the certificates of a group share one names array; per-name groups do not need
 * the certificates' own names at all.
 */
export async function* readGroups(f: PartitionFiles): AsyncGenerator<LineageGroup> {
  const NO_NAMES: readonly string[] = [];
  for (let p = 0; p < f.partitions; p++) {
    const file = join(f.dir, `${f.mode}-${p}.tsv`);
    const text = await readFile(file, 'utf8');
    const groups = new Map<string, { names: readonly string[]; certs: AnalysisCertificate[] }>();
    let at = 0;
    const field = (): string => {
      const end = text.indexOf('\t', at);
      const v = text.slice(at, end);
      at = end + 1;
      return v;
    };
    const int = (): number | null => {
      let v = 0;
      let sign = 1;
      if (text.charCodeAt(at) === 45) {
        sign = -1;
        at++;
      }
      if (text.charCodeAt(at) === 9) {
        at++;
        return null;
      }
      for (let ch = text.charCodeAt(at); ch !== 9; ch = text.charCodeAt(++at)) v = v * 10 + (ch - 48);
      at++;
      return sign * v;
    };
    while (at < text.length) {
      const key = field();
      const id = field();
      const notBefore = int()!;
      const notAfter = int()!;
      const ctTimestamp = int();
      const iss = f.issuers[int()!];
      const serialHex = field();
      const validationLevel = field() as ValidationLevel;
      const seenPrecert = text.charCodeAt(at) === 49;
      const seenFinal = text.charCodeAt(at + 1) === 49;
      at += 3;
      const eol = text.indexOf('\n', at);
      const lineEnd = eol < 0 ? text.length : eol;
      let g = groups.get(key);
      if (!g) {
        g = { names: f.mode === 'exact' ? key.split(',') : [key], certs: [] };
        groups.set(key, g);
      }
      g.certs.push({
        id, notBefore, notAfter, ctTimestamp, issuerDn: iss.dn, issuerOrg: iss.org, issuerCn: iss.cn, serialHex, validationLevel,
        seenPrecert, seenFinal, names: f.mode === 'exact' ? g.names : NO_NAMES,
      });
      at = lineEnd + 1;
    }
    await rm(file);
    for (const g of groups.values()) yield g;
  }
}
