/**
 * Where a shut-down test log is still served, as a real one is once its
 * operator has turned it off (its own prefix answers 410 Gone):
 *
 * - as mirrors speaking the RFC 6962 read API, under `/<kind>/<category>/<name>/ct/v1/`:
 *   `mirror` serves the log as it is; `mirror-forged` serves a tree head over
 *   another root, properly signed with the log's key (a forked tree, which
 *   only the final tree head or an earlier tree head can expose);
 *   `mirror-badsig` serves the right tree head signed with another key;
 * - as zip archives in the archive format (archive.ts), under
 *   `/archive/<category>/<name>/NNN.zip`, read with HTTP Range requests
 *   (range.ts); `/archive-truncated/...` serves the same zips cut short, as a
 *   download that stopped.
 *
 * The zips are built on first request and kept: a shut-down log never grows.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { signTreeHead, sthToJson, type SignedTreeHead } from '../../src/share/ct/sth.js';
import { buildArchiveZips } from './archive.js';
import { sendBytesWithRanges } from './range.js';
import type { TiledLogHandler } from './tiles.js';

export type ElsewhereKind = 'mirror' | 'mirror-forged' | 'mirror-badsig' | 'archive' | 'archive-truncated';
export const MIRROR_KINDS: readonly ElsewhereKind[] = ['mirror', 'mirror-forged', 'mirror-badsig'];

/** `/<kind>/<category>/<name>/<rest>`: kind, the log's own prefix, and the rest of the path. */
export const ELSEWHERE_PATH = /^\/(mirror|mirror-forged|mirror-badsig|archive|archive-truncated)(\/[^/]+\/[^/]+\/)(.*)$/;

/** What a shut-down log needs from its served log. */
export interface FrozenLog {
  readonly name: string;
  readonly key: KeyObject;
  readonly size: number;
  readonly spki: Uint8Array;
  readonly tiles: TiledLogHandler;
  currentSth(): SignedTreeHead;
  /** SHA-256 hex of every issuer the log's tiles name. */
  issuerNames(): string[];
}

let otherKey: KeyObject | null = null;

export class ShutDownLog {
  private zips: Promise<Buffer[]> | null = null;
  private forged: SignedTreeHead | null = null;
  private badSig: SignedTreeHead | null = null;

  constructor(
    readonly log: FrozenLog,
    readonly archiveSubtreeLevel = 2,
  ) {}

  /** The tree head a mirror of this kind serves. */
  treeHead(kind: ElsewhereKind): SignedTreeHead {
    const sth = this.log.currentSth();
    if (kind === 'mirror-forged') {
      this.forged ??= signTreeHead(this.log.key, sth.timestamp, sth.treeSize, createHash('sha256').update('forked ').update(sth.rootHash).digest());
      return this.forged;
    }
    if (kind === 'mirror-badsig') {
      otherKey ??= generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      this.badSig ??= signTreeHead(otherKey, sth.timestamp, sth.treeSize, sth.rootHash);
      return this.badSig;
    }
    return sth;
  }

  /** get-sth of a mirror (other endpoints are the log's own). */
  getSth(kind: ElsewhereKind): string {
    return JSON.stringify(sthToJson(this.treeHead(kind)));
  }

  private archive(): Promise<Buffer[]> {
    this.zips ??= buildArchiveZips(
      {
        treeSize: this.log.size,
        answer: (path) => this.log.tiles.answer(path),
        issuers: this.log.issuerNames(),
        logJson: { description: `ctjp local '${this.log.name}' log`, key: Buffer.from(this.log.spki).toString('base64') },
      },
      { subtreeLevel: this.archiveSubtreeLevel },
    );
    return this.zips;
  }

  /** Answer `NNN.zip` of the archive (whole, or cut short), with Range support. */
  async sendZip(req: IncomingMessage, res: ServerResponse, kind: ElsewhereKind, file: string): Promise<void> {
    const m = /^([0-9]{3})\.zip$/.exec(file);
    const zips = await this.archive();
    const zip = m ? zips[Number(m[1])] : undefined;
    if (zip === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`no ${file} in the archive of ${this.log.name} (${zips.length} zips)\n`);
      return;
    }
    sendBytesWithRanges(req, res, kind === 'archive-truncated' ? zip.subarray(0, Math.floor(zip.length * 0.6)) : zip, 'application/zip');
  }
}
