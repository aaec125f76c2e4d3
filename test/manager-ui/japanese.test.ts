/**
 * The dashboard in Japanese really shows Japanese glyphs, not tofu boxes: the browser tests and the
 * README screenshots run where a CJK font may be missing (.ci/run installs fonts-noto-cjk). The check
 * draws characters with the page's own font on a canvas: without a font that has them, every
 * character is drawn as the same .notdef box as a code point no font has.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { catalogueEntry, testManagerEnv, type TestManagerEnv } from '../helpers/manager.js';
import { startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { ARTIFACTS_DIR, launchChromium, openWatchedPage, type Browser } from '../helpers/browser.js';

let log: TestLog;
let env: TestManagerEnv;
let app: FastifyInstance;
let base: string;
let browser: Browser;

before(async () => {
  log = await startTestLog({ name: 'ja-google', category: 'google', size: 200, pageSize: 32 });
  env = await testManagerEnv([catalogueEntry(log)]);
  app = await env.build({ background: true });
  base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace(/\/$/, '');
  browser = await launchChromium();
  await mkdir(ARTIFACTS_DIR, { recursive: true });
});

after(async () => {
  await browser?.close();
  await env?.cleanup();
  await log?.close();
});

test('the Japanese dashboard renders Japanese glyphs (a CJK font is installed) and is screenshotted', async () => {
  const { page, pageErrors } = await openWatchedPage(browser);
  try {
    await page.goto(base + '/');
    await page.locator('[data-stat="certificates"]').waitFor();
    await page.locator('button.lang').click();
    await page.waitForFunction(() => document.documentElement.lang === 'ja');
    const heading = (await page.locator('#overview-h').textContent()) ?? '';
    assert.equal(heading, '概要');

    // Each character's pixels with the heading's font, next to a code point no font has (U+10FFFD, private use).
    // (No named functions inside: tsx would wrap them in a helper the page does not have.)
    const drawn = await page.evaluate((chars) => {
      const font = `32px ${getComputedStyle(document.querySelector('#overview-h')!).fontFamily}`;
      const images = [...chars, '\u{10FFFD}'].map((ch) => {
        const c = document.createElement('canvas');
        c.width = 48;
        c.height = 48;
        const g = c.getContext('2d')!;
        g.font = font;
        g.fillStyle = '#000';
        g.textBaseline = 'top';
        g.fillText(ch, 4, 4);
        return c.toDataURL();
      });
      return { font, notdef: images.pop()!, chars: images };
    }, ['概', '要', 'の', 'ア']);
    const distinct = new Set(drawn.chars);
    assert.equal(distinct.size, drawn.chars.length, `Japanese characters are drawn alike (boxes?) with ${drawn.font}: is a CJK font installed (fonts-noto-cjk)?`);
    for (const [i, pixels] of drawn.chars.entries()) assert.notEqual(pixels, drawn.notdef, `character ${i} is drawn as the missing-glyph box with ${drawn.font}`);

    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'dashboard-ja-glyphs.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  } finally {
    await page.close();
  }
});
