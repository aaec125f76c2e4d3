/**
 * node --import tsx tools/screenshot.ts — the README's dashboard pictures, taken from a running demo (`npm run demo` in
 * another terminal, ideally while the workers are busy) rather than from a test fixture, in English
 * and in Japanese. Run by hand; needs Chromium (CTJP_CHROMIUM, /usr/bin/chromium) and, for the
 * Japanese one, a CJK font (fonts-noto-cjk, as .ci/run installs).
 *
 * Settings: --url / CTJP_SCREENSHOT_URL (http://127.0.0.1:8080/), --out-dir / CTJP_SCREENSHOT_DIR (docs).
 * Writes OUT/screenshot-dashboard.png and OUT/screenshot-dashboard-ja.png.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';

const { values } = parseArgs({ options: { url: { type: 'string' }, 'out-dir': { type: 'string' } } });
const url = values.url ?? process.env.CTJP_SCREENSHOT_URL ?? 'http://127.0.0.1:8080/';
const outDir = values['out-dir'] ?? process.env.CTJP_SCREENSHOT_DIR ?? path.join(import.meta.dirname, '..', 'docs');
const chromiumPath = process.env.CTJP_CHROMIUM ?? '/usr/bin/chromium';

/** Toggles the dashboard's language until the page says it is `lang` (the start depends on stored choices). */
async function showLanguage(page: Page, lang: 'en' | 'ja'): Promise<void> {
  if ((await page.evaluate(() => document.documentElement.lang)) !== lang) await page.locator('button.lang').click();
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
  // The charts are drawn after the text; give them their canvases before the picture.
  await page.locator('.chart canvas').first().waitFor({ timeout: 30_000 }).catch(() => {});
}

const status = await fetch(new URL('/api/v1/status', url), { signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e as Error);
if (status instanceof Error || !status.ok) {
  console.error(`screenshot: no dashboard answers at ${url} (${status instanceof Error ? status.message : `HTTP ${status.status}`}); start \`npm run demo\` first, or give --url`);
  process.exit(1);
}
await mkdir(outDir, { recursive: true });
const profile = await mkdtemp(path.join(os.tmpdir(), 'ctjp-screenshot-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  headless: true,
  viewport: { width: 1280, height: 900 },
  locale: 'en-US',
  timeout: 60_000,
});
try {
  const page = await context.newPage();
  await page.goto(url);
  await page.locator('[data-stat="certificates"]').waitFor({ timeout: 30_000 });
  for (const [lang, file] of [['en', 'screenshot-dashboard.png'], ['ja', 'screenshot-dashboard-ja.png']] as const) {
    await showLanguage(page, lang);
    const out = path.join(outDir, file);
    await page.screenshot({ path: out });
    console.log(`wrote ${out}`);
  }
} finally {
  await context.close();
  await rm(profile, { recursive: true, force: true });
}
