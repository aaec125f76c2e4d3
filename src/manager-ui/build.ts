// Bundles the dashboard (Preact + uPlot) into dist/ with esbuild.
// Run directly by `npm run build:ui`; the manager's UI plugin calls buildUi() when dist/ is missing.
import { access, copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
export const defaultDistDir = path.join(here, 'dist');

export interface BuildUiOptions {
  outDir?: string;
  minify?: boolean;
  /** false: keep a complete dist/ that appeared meanwhile (several managers or test processes starting at once). */
  replace?: boolean;
}

/** Builds into a temporary folder and renames it into place, so a reader never sees a half-written dist/. */
export async function buildUi(options: BuildUiOptions = {}): Promise<string> {
  const outDir = options.outDir ?? defaultDistDir;
  const tmpDir = `${outDir}.tmp-${process.pid}-${Date.now()}`;
  // esbuild is a build-time tool; importing it lazily keeps it off the manager's normal start-up path.
  const esbuild = await import('esbuild');
  try {
    await mkdir(tmpDir, { recursive: true });
    await esbuild.build({
      entryPoints: { app: path.join(here, 'app', 'main.tsx') },
      outdir: tmpDir,
      bundle: true,
      format: 'esm',
      target: 'es2020',
      minify: options.minify ?? true,
      sourcemap: false,
      jsx: 'automatic',
      jsxImportSource: 'preact',
      legalComments: 'none',
      logLevel: 'warning',
      metafile: false,
    });
    await copyFile(path.join(here, 'app', 'index.html'), path.join(tmpDir, 'index.html'));
    await moveIntoPlace(tmpDir, outDir, options.replace ?? true);
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
  return outDir;
}

async function moveIntoPlace(tmpDir: string, outDir: string, replace: boolean): Promise<void> {
  const old = `${tmpDir}.old`;
  try {
    if (await isComplete(outDir)) {
      if (!replace) return;
      // Swap by renames so that a server reading dist/ sees the old or the new build, never a mix.
      await rename(outDir, old).catch(() => undefined);
    } else {
      await rm(outDir, { recursive: true, force: true });
    }
    await rename(tmpDir, outDir);
  } catch (err) {
    // Another process put a complete build in place first: keep that one.
    if (!(await isComplete(outDir))) throw err;
  } finally {
    await rm(old, { recursive: true, force: true });
  }
}

export async function isComplete(outDir: string): Promise<boolean> {
  try {
    await access(path.join(outDir, 'index.html'));
    return true;
  } catch {
    return false;
  }
}

/** True when a file of the dashboard's source is newer than the build (a checkout that was edited or pulled). */
export async function isStale(outDir: string): Promise<boolean> {
  let built: number;
  try {
    built = (await stat(path.join(outDir, 'index.html'))).mtimeMs;
  } catch {
    return true;
  }
  const entries = await readdir(path.join(here, 'app'), { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile()) continue;
    if ((await stat(path.join(e.parentPath, e.name))).mtimeMs > built) return true;
  }
  return false;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildUi();
  console.log(`dashboard built into ${path.relative(process.cwd(), out)}`);
}
