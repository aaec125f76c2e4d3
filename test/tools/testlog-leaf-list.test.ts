/**
 * A leaf-list test log as the worker benchmark serves it: entries that carry
 * their leaf_index extension (the same leaves and tree as a tiled leaf list),
 * and one log served under two prefixes with different get-entries caps over
 * its one tree and tree head.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { decodeDataTile, decodeMerkleTreeLeaf, leafHash, leafIndexExtension, parseSth, verifyCheckpoint, verifyInclusion, verifySthSignature } from '../../src/share/ct/index.js';
import { loadRealEntries } from '../../tools/fixtures/ct-real.js';
import { LeafListEntries } from '../../tools/testlog/leaf-list.js';
import { LogState, serveLog, type Quirks } from '../../tools/testlog/server.js';
import { LeafListTileSource } from '../../tools/testlog/tiles.js';

const real = loadRealEntries();
const leaves = real.map((e) => e.leafInput);
const extraData = real.map((e) => e.extraData);
const SIZE = 700;

describe('LeafListEntries with leaf_index', () => {
  const entries = new LeafListEntries(leaves, SIZE, extraData, true);

  test('entry i is leaf i mod the list with the leaf_index extension i in place of its own, hashed as served', () => {
    for (const i of [0, 1, leaves.length, leaves.length + 5, SIZE - 1]) {
      const served = decodeMerkleTreeLeaf(entries.leafInput(i));
      const leaf = decodeMerkleTreeLeaf(leaves[i % leaves.length]);
      assert.equal(leafIndexExtension(served.extensions), i);
      assert.deepEqual({ ...served, extensions: null }, { ...leaf, extensions: null });
      assert.deepEqual(entries.leafHash(i), leafHash(entries.leafInput(i)));
      assert.equal(decodeDataTile(entries.tileLeaf(i), 1)[0].leafIndex, i);
      assert.equal(entries.extraData(i), extraData[i % leaves.length].toString('base64'));
    }
  });

  test('the same leaves and tree as a tiled leaf list of the same leaves', () => {
    const tiled = new LeafListTileSource({ leaves: Array.from({ length: SIZE }, (_, i) => leaves[i % leaves.length]), leafIndex: true });
    const log = new LogState('test', 'indexed', { pageSize: 32, aligned: true }, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey, entries, 'indexed');
    for (const i of [0, leaves.length + 3, SIZE - 1]) assert.deepEqual(entries.leafInput(i), tiled.leafInput(i));
    assert.deepEqual(log.tree.root(), tiled.tree.root());
    assert.equal(log.api, 'static-ct-api');
  });

  test('without it, the leaves are served as given', () => {
    const plain = new LeafListEntries(leaves, SIZE, extraData);
    assert.equal(plain.leafIndex, false);
    assert.equal(plain.leafInput(leaves.length + 2), leaves[2]);
  });
});

describe('one log under two prefixes with different caps', () => {
  const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const log = new LogState('test', 'two-fronts', { pageSize: 256, aligned: true }, key, new LeafListEntries(leaves, SIZE, extraData, true), 'two-fronts');
  const quirks: Record<string, Quirks> = { a: { pageSize: 32, aligned: true }, b: log.quirks };
  let server: Server;
  let base = '';

  before(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://log');
      const m = /^\/(a|b)\/(.*)$/.exec(url.pathname);
      if (m) void serveLog(req, res, url, log, m[2], quirks[m[1]]);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    log.origin = `127.0.0.1:${(server.address() as AddressInfo).port}/b`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const json = async (path: string): Promise<unknown> => {
    const res = await fetch(base + path);
    assert.equal(res.status, 200, path);
    return res.json();
  };
  const page = async (prefix: string, start: number, end: number): Promise<{ leaf_input: string; extra_data: string }[]> =>
    ((await json(`/${prefix}/ct/v1/get-entries?start=${start}&end=${end}`)) as { entries: { leaf_input: string; extra_data: string }[] }).entries;

  test('the same signed tree head on both, over the one tree, and the checkpoint agrees', async () => {
    const a = parseSth(await json('/a/ct/v1/get-sth'));
    const b = parseSth(await json('/b/ct/v1/get-sth'));
    assert.deepEqual(a, b);
    assert.equal(a.treeSize, SIZE);
    assert.deepEqual(a.rootHash, log.tree.root());
    assert.ok(verifySthSignature(a, log.spki));
    const cp = verifyCheckpoint(await (await fetch(`${base}/b/checkpoint`)).text(), log.spki, log.origin);
    assert.deepEqual(cp.rootHash, a.rootHash);
  });

  test('each prefix caps get-entries at its own page size, aligned, over the same entries', async () => {
    const a = await page('a', 5, 999);
    const b = await page('b', 5, 999);
    assert.equal(a.length, 27);
    assert.equal(b.length, 251);
    assert.deepEqual(a, b.slice(0, 27));
    assert.equal((await page('a', 300, 310)).length, 11);
    const all: string[] = [];
    for (let start = 0; start < SIZE; start += 32) all.push(...(await page('a', start, start + 31)).map((e) => e.leaf_input));
    const other: string[] = [];
    for (let start = 0; start < SIZE; start += 256) other.push(...(await page('b', start, start + 255)).map((e) => e.leaf_input));
    assert.equal(all.length, SIZE);
    assert.deepEqual(all, other);
    assert.equal(leafIndexExtension(decodeMerkleTreeLeaf(Buffer.from(all[SIZE - 1], 'base64')).extensions), SIZE - 1);
  });

  test('a proof by hash from either prefix verifies against the one root', async () => {
    const index = leaves.length + 9;
    const hash = leafHash(log.leafInput(index));
    for (const prefix of ['a', 'b']) {
      const proof = (await json(`/${prefix}/ct/v1/get-proof-by-hash?hash=${encodeURIComponent(hash.toString('base64'))}&tree_size=${SIZE}`)) as { leaf_index: number; audit_path: string[] };
      assert.equal(proof.leaf_index, index);
      assert.ok(verifyInclusion(hash, index, SIZE, proof.audit_path.map((p) => Buffer.from(p, 'base64')), log.tree.root()));
    }
  });
});
