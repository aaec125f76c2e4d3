/** The minimum worker version: compared as semver, refused when it is not one, and so is a worker's reported version. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, testManagerEnv } from '../helpers/manager.js';
import { setSetting } from '../../src/manager-api/repositories/settings.js';
import { API_PATHS } from '../../src/share/api/index.js';

let log: TestLog;

before(async () => {
  log = await startTestLog({ name: 'v1', category: 'google', size: 200, pageSize: 32 });
});
after(async () => {
  await log.close();
});

interface Answer {
  status: number;
  body: { message?: string; code?: string; min_worker_version?: string | null; paused?: boolean; directives?: { min_worker_version: string | null } };
}

/** POSTs JSON over loopback HTTP. */
async function post(base: string, path: string, payload: unknown): Promise<Answer> {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  return { status: r.status, body: (await r.json()) as Answer['body'] };
}

test('a 1.0.0 worker meets a minimum of 1.0.0-rc1; 1.0.0-rc.0 and 0.10.0 do not meet 1.0.0-rc1, a build suffix changes nothing', async () => {
  const env = await testManagerEnv([catalogueEntry(log)]);
  try {
    const app = await env.build();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const set = await post(base, API_PATHS.adminDirectives, { min_worker_version: '1.0.0-rc1' });
    assert.equal(set.status, 200);
    assert.equal(set.body.min_worker_version, '1.0.0-rc1');
    const ask = (version: string) => post(base, API_PATHS.instructions, { worker_id: 'w', friend_name: 'f', version });
    assert.equal((await ask('1.0.0')).status, 200);
    assert.equal((await ask('1.0.0-rc1')).status, 200);
    assert.equal((await ask('1.0.0-rc1+build.7')).status, 200);
    assert.equal((await ask('1.0.0-rc2')).status, 200);
    const older = await ask('1.0.0-rc.0');
    assert.equal(older.status, 426);
    assert.match(older.body.message ?? '', /worker version 1\.0\.0-rc\.0 is older than the minimum 1\.0\.0-rc1/);
    assert.equal((await ask('0.10.0')).status, 426);
    // Numbers compare by value: a minimum of 0.10.0 is above 0.9.1.
    assert.equal((await post(base, API_PATHS.adminDirectives, { min_worker_version: '0.10.0' })).status, 200);
    assert.equal((await ask('0.9.1')).status, 426);
    assert.equal((await ask('0.10.0')).status, 200);
    assert.equal((await post(base, API_PATHS.adminDirectives, { min_worker_version: null })).status, 200);
    assert.equal((await ask('0.0.1')).status, 200);
  } finally {
    await env.cleanup();
  }
});

test('an operator minimum that is not a semantic version is refused with 422 naming it, and nothing of that request is written', async () => {
  const env = await testManagerEnv([catalogueEntry(log)]);
  try {
    const app = await env.build();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    assert.equal((await post(base, API_PATHS.adminDirectives, { min_worker_version: '0.2.0' })).status, 200);
    for (const bad of ['1.2', 'latest', 'v1.0.0', '1.0.0-rc..1']) {
      const r = await post(base, API_PATHS.adminDirectives, { paused: true, min_worker_version: bad, slow_logs: [{ log_name: 'v1', min_interval_ms: 1000 }] });
      assert.equal(r.status, 422, bad);
      assert.equal(r.body.code, 'INVALID_VERSION');
      assert.equal(r.body.message, `min_worker_version "${bad}" is not a semantic version like 1.2.0 or 1.2.0-rc1 (semver.org)`);
    }
    const now = await post(base, API_PATHS.register, { worker_id: 'w', friend_name: 'f', version: '0.2.0' });
    assert.equal(now.status, 200);
    assert.deepEqual(now.body.directives, { ...now.body.directives, min_worker_version: '0.2.0', paused: false, slow_logs: [] });
  } finally {
    await env.cleanup();
  }
});

test('a worker reporting a version that is not semantic is refused with 400 naming the field, on every request that carries it', async () => {
  const env = await testManagerEnv([catalogueEntry(log)]);
  try {
    const app = await env.build();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    for (const bad of ['1.2', 'dev', '01.0.0']) {
      for (const [path, payload] of [
        [API_PATHS.register, { worker_id: 'w', friend_name: 'f', version: bad }],
        [API_PATHS.instructions, { worker_id: 'w', friend_name: 'f', version: bad }],
        [API_PATHS.ping, { worker_id: 'w', version: bad, leases: [] }],
      ] as const) {
        const r = await post(base, path, payload);
        assert.equal(r.status, 400, `${path} ${bad}`);
        assert.equal(r.body.code, 'INVALID_REQUEST');
        assert.match(r.body.message ?? '', /^body\/version must match pattern/);
      }
    }
  } finally {
    await env.cleanup();
  }
});

test('a minimum stored before minimums were checked is read as the version it stood for ("0.2" is 0.2.0), one without a number as none', async () => {
  const env = await testManagerEnv([catalogueEntry(log)]);
  try {
    const app = await env.build();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    await setSetting(app.db, 'min_worker_version', '0.2');
    app.invalidateDirectives();
    const old = await post(base, API_PATHS.instructions, { worker_id: 'w', friend_name: 'f', version: '0.1.9' });
    assert.equal(old.status, 426);
    assert.match(old.body.message ?? '', /older than the minimum 0\.2\.0/);
    assert.equal((await post(base, API_PATHS.instructions, { worker_id: 'w', friend_name: 'f', version: '0.2.0' })).status, 200);
    await setSetting(app.db, 'min_worker_version', 'latest');
    app.invalidateDirectives();
    const any = await post(base, API_PATHS.instructions, { worker_id: 'w', friend_name: 'f', version: '0.0.1' });
    assert.equal(any.status, 200);
    assert.equal(any.body.directives?.min_worker_version, null);
  } finally {
    await env.cleanup();
  }
});
