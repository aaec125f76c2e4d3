/**
 * Bundles the worker into one self-contained file, dist/ctjp-worker.mjs, so
 * that a friend needs nothing but Node.js: `node ctjp-worker.mjs --name ...`.
 */
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const outfile = values.out ? resolve(values.out) : join(root, 'dist', 'ctjp-worker.mjs');

await build({
  entryPoints: [join(root, 'src', 'worker', 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: false,
  legalComments: 'eof',
  // The CommonJS dependencies (undici, socks) call require() for Node's own modules.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __ctjpCreateRequire } from 'node:module';\nconst require = __ctjpCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
console.log(`built ${outfile} (${Math.round(statSync(outfile).size / 1024)} KiB)`);
