/** JSON over real HTTP to a manager under test: a non-2xx answer fails the test with its body. */
import assert from 'node:assert/strict';

export async function requestJson<T>(base: string, method: 'GET' | 'POST', pathName: string, body?: unknown): Promise<T> {
  const res = await fetch(base + pathName, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${pathName}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}
