/** The worker's abort signals take a Google lease's 12 requests in flight without Node's leak warning. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sharedAbortController } from '../../src/worker/shared-abort.js';

async function leakWarnings(controller: AbortController, listeners: number): Promise<number> {
  let warnings = 0;
  const onWarning = (w: Error): void => {
    if (w.name === 'MaxListenersExceededWarning') warnings++;
  };
  process.on('warning', onWarning);
  try {
    for (let i = 0; i < listeners; i++) controller.signal.addEventListener('abort', () => undefined, { once: true });
    // Warnings are emitted on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return warnings;
}

test('a plain AbortController warns at 11 listeners (what the worker printed), a shared one does not at 12 or 60', async () => {
  assert.equal(await leakWarnings(new AbortController(), 11), 1);
  assert.equal(await leakWarnings(sharedAbortController(), 12), 0);
  assert.equal(await leakWarnings(sharedAbortController(), 60), 0);
});
