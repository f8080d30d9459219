// Build the browser bundles into ../src/pnav/server/web/static (package data of pnav.server.web).
//   node build.mjs
// Each bundle is one minified IIFE (no eval, no new Function, no sourcemaps), so
// it runs under `script-src 'self' 'wasm-unsafe-eval'`. The loader has a byte
// budget: it runs on every page view of every partner.
import { build } from 'esbuild';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');
const out = join(here, '..', 'src', 'pnav', 'server', 'web', 'static');
const LOADER_BUDGET = 8 * 1024;

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  platform: 'browser',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
};

await mkdir(join(out, 'widget'), { recursive: true });
await mkdir(join(out, 'console'), { recursive: true });

await Promise.all([
  build({ ...common, entryPoints: [join(src, 'loader', 'loader.js')], outfile: join(out, 'widget', 'loader.js') }),
  build({ ...common, entryPoints: [join(src, 'chat', 'main.js')], outfile: join(out, 'widget', 'chat.js') }),
  build({ ...common, entryPoints: [join(src, 'chat', 'chat.css')], outfile: join(out, 'widget', 'chat.css') }),
  build({ ...common, entryPoints: [join(src, 'console', 'main.js')], outfile: join(out, 'console', 'console.js') }),
  build({ ...common, entryPoints: [join(src, 'console', 'console.css')], outfile: join(out, 'console', 'console.css') }),
  copyFile(join(src, 'console', 'index.html'), join(out, 'console', 'index.html')),
]);

const loaderSize = (await stat(join(out, 'widget', 'loader.js'))).size;
if (loaderSize > LOADER_BUDGET) {
  console.error(`loader.js is ${loaderSize} bytes, over its ${LOADER_BUDGET}-byte budget`);
  process.exit(1);
}
for (const f of ['widget/loader.js', 'widget/chat.js', 'widget/chat.css', 'console/console.js', 'console/console.css', 'console/index.html']) {
  console.log(`${f.padEnd(22)} ${(await stat(join(out, f))).size} bytes`);
}
