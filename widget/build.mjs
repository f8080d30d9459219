// Build the browser bundles into ../src/pnav/server/web/static (package data of pnav.server.web).
//   node build.mjs
// Each bundle is one minified IIFE (no eval, no new Function, no sourcemaps), so
// it runs under `script-src 'self' 'wasm-unsafe-eval'`. The loader has a byte
// budget: it runs on every page view of every partner.
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');
const out = join(here, '..', 'src', 'pnav', 'server', 'web', 'static');
// What every page view runs: loader.js with a partner's settings written in (gzip).
const LOADER_GZIP_BUDGET = 2.5 * 1024; // issue 16: 2.5 KB

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
  build({ ...common, entryPoints: [join(src, 'loader', 'panel.js')], outfile: join(out, 'widget', 'panel.js') }),
  copyFile(join(src, 'loader', 'pnav.d.ts'), join(out, 'widget', 'pnav.d.ts')),
  bannerTexts(),
  build({ ...common, entryPoints: [join(src, 'chat', 'main.js')], outfile: join(out, 'widget', 'chat.js') }),
  build({ ...common, entryPoints: [join(src, 'chat', 'chat.css')], outfile: join(out, 'widget', 'chat.css') }),
  build({ ...common, entryPoints: [join(src, 'console', 'main.js')], outfile: join(out, 'console', 'console.js') }),
  build({ ...common, entryPoints: [join(src, 'console', 'console.css')], outfile: join(out, 'console', 'console.css') }),
  copyFile(join(src, 'console', 'index.html'), join(out, 'console', 'index.html')),
]);

const loaderGzip = await servedLoaderGzip();
if (loaderGzip > LOADER_GZIP_BUDGET) {
  console.error(`loader.js as served is ${loaderGzip} bytes gzip, over its ${LOADER_GZIP_BUDGET}-byte budget`);
  process.exit(1);
}
console.log(`${'widget/loader.js'.padEnd(22)} ${loaderGzip} bytes gzip as served (budget ${LOADER_GZIP_BUDGET})`);
for (const f of ['widget/loader.js', 'widget/panel.js', 'widget/chat.js', 'widget/chat.css', 'console/console.js', 'console/console.css', 'console/index.html']) {
  console.log(`${f.padEnd(22)} ${(await stat(join(out, f))).size} bytes`);
}

/** The banner section and direction of every locale, for the server to write into the loader. */
async function bannerTexts() {
  const index = JSON.parse(await readFile(join(src, 'locales', 'index.json'), 'utf8'));
  /** @type {Record<string, unknown>} */
  const texts = {};
  for (const [tag, about] of Object.entries(index)) {
    const banner = JSON.parse(await readFile(join(src, 'locales', `${tag}.json`), 'utf8')).banner;
    texts[tag] = { dir: about.dir === 'rtl' ? 'rtl' : 'ltr', texts: banner };
  }
  await writeFile(join(out, 'widget', 'banner-texts.json'), JSON.stringify(texts));
}

/**
 * loader.js as the server sends it to a registered page (its origin alone, the
 * snippet's crossorigin attribute lets the server know it), with the longest banner
 * texts, gzipped.
 */
async function servedLoaderGzip() {
  const loader = await readFile(join(out, 'widget', 'loader.js'), 'utf8');
  /** @type {Record<string, {dir: string, texts: Record<string, string>}>} */
  const locales = JSON.parse(await readFile(join(out, 'widget', 'banner-texts.json'), 'utf8'));
  const longest = Object.values(locales).map((l) => l.texts)
    .sort((a, b) => JSON.stringify(b).length - JSON.stringify(a).length)[0];
  const config = {
    partner: 'mairie-saint-exemple', origins: ['https://www.mairie-saint-exemple.fr'],
    mode: 'banner', position: 'right', lang: 'fr', dir: 'ltr',
    // What the loader shows (the panel's own texts come with panel.js: server/web/loader.py).
    texts: Object.fromEntries(['open', 'exit', 'exitLabel', 'region', 'leave'].map((k) => [k, longest[k]])),
    colors: { banner: '#2b2256', banner_text: '#ffffff', button: '#ffffff', button_text: '#2b2256' },
    exit: 'https://www.example.org/meteo',
  };
  if (!loader.includes('"__PNAV_CONFIG__"')) throw new Error('loader.js lost its "__PNAV_CONFIG__" slot');
  return gzipSync(loader.replace('"__PNAV_CONFIG__"', JSON.stringify(config)), { level: 9 }).length;
}
