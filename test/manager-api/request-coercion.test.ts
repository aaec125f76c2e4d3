/**
 * Query strings arrive as text and are coerced to the types their schemas name; JSON bodies are
 * taken as sent, so a number written as a string is refused. Both refusals are 400s naming the field.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, testManagerEnv, type TestManagerEnv } from '../helpers/manager.js';
import { API_PATHS, type ApiError, type StatusResponse } from '../../src/share/api/index.js';

let log: TestLog;
let env: TestManagerEnv;
let base: string;

before(async () => {
  log = await startTestLog({ name: 'q1', category: 'google', size: 100, pageSize: 32 });
  env = await testManagerEnv([catalogueEntry(log)]);
  const app = await env.build();
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
after(async () => {
  await env.cleanup();
  await log.close();
});

async function call(path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const r = await fetch(base + path, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, json: await r.json() };
}

test('status: days is read as an integer within [1, 3660]; anything else is a 400 naming it', async () => {
  for (const days of ['1', '07', '3660']) {
    const r = await call(`${API_PATHS.status}?days=${days}`);
    assert.equal(r.status, 200, days);
    assert.ok(Array.isArray((r.json as StatusResponse).daily));
  }
  for (const days of ['0', '3661', 'abc', '1.5', '-2']) {
    const r = await call(`${API_PATHS.status}?days=${days}`);
    assert.equal(r.status, 400, days);
    const e = r.json as ApiError;
    assert.equal(e.code, 'INVALID_REQUEST');
    assert.match(e.message, /^querystring\/days /, days);
  }
  const unknown = await call(`${API_PATHS.status}?day=5`);
  assert.equal(unknown.status, 400);
  assert.match((unknown.json as ApiError).message, /"day"/);
});

test('bodies are not coerced: a number sent as a string, or a string sent as a number, is a 400 naming the field', async () => {
  const worker = { worker_id: 'w1', friend_name: 'f1', version: '0.1.0' };
  assert.equal((await call(API_PATHS.register, worker)).status, 200);

  const version = await call(API_PATHS.register, { ...worker, version: 1 });
  assert.equal(version.status, 400);
  assert.match((version.json as ApiError).message, /^body\/version must be string/);

  const lease = await call(API_PATHS.ping, { worker_id: 'w1', version: '0.1.0', leases: [{ lease_id: '1', confirmed: 0 }] });
  assert.equal(lease.status, 400);
  assert.match((lease.json as ApiError).message, /^body\/leases\/0\/lease_id must be integer/);

  const flag = await call(API_PATHS.adminDirectives, { paused: 'true' });
  assert.equal(flag.status, 400);
  assert.match((flag.json as ApiError).message, /^body\/paused must be boolean/);
});
