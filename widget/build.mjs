// Build the browser bundles into ../src/pnav/server/web/static (package data of pnav.server.web).
//   node build.mjs
// Each bundle is one minified IIFE (no eval, no new Function, no sourcemaps), so
// it runs under `script-src 'self' 'wasm-unsafe-eval'`. The loader has a byte
// budget: it runs on every page view of every partner.
import { build } from 'esbuild';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');
const out = join(here, '..', 'src', 'pnav', 'server', 'web', 'static');
// Gzip budgets (bytes, level 9) of what runs before the first screen; the build fails
// past them (issue 16). Argon2, the proof-of-work solver and the strings (one language)
// come later, on demand. bench/bundles.py measures the same, with brotli too.
const GZIP_BUDGETS = { 'widget/chat.js': 20000, 'console/console.js': 40000 };

/** The chat and the console leave Argon2 out: crypto.js's default import of it becomes a
 * stub, and they load widget/argon2.js from the server instead (chat/main.js, console/main.js).
 * @type {import('esbuild').Plugin} */
const argon2Elsewhere = {
  name: 'argon2-elsewhere',
  setup(b) {
    b.onResolve({ filter: /argon2-impl\.js$/ }, () => ({ path: 'argon2-impl', namespace: 'argon2-elsewhere' }));
    b.onLoad({ filter: /.*/, namespace: 'argon2-elsewhere' }, () => ({
      contents: "export function argon2id() { throw new Error('Argon2 comes from widget/argon2.js'); }",
    }));
  },
};
// What every page view runs: loader.js with a partner's settings written in, in the
// locale whose banner texts weigh most once gzipped (issue 16: 2.5 KB).
const LOADER_GZIP_BUDGET = 2500;

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
// Locale tables are served one language at a time by the server (docs/translations.md),
// never bundled whole into the chat or the console.
await mkdir(join(out, 'locales'), { recursive: true });
for (const name of await readdir(join(src, 'locales'))) {
  if (name.endsWith('.json')) await copyFile(join(src, 'locales', name), join(out, 'locales', name));
}

await Promise.all([
  // Without tsconfig.json's "use strict" prologue (13 bytes on every page view): the
  // loader uses nothing that strict mode changes (no `this`, no undeclared names, which
  // tsc would refuse).
  build({ ...common, entryPoints: [join(src, 'loader', 'loader.js')], outfile: join(out, 'widget', 'loader.js'), tsconfigRaw: {} }),
  build({ ...common, entryPoints: [join(src, 'loader', 'panel.js')], outfile: join(out, 'widget', 'panel.js') }),
  copyFile(join(src, 'loader', 'pnav.d.ts'), join(out, 'widget', 'pnav.d.ts')),
  bannerTexts(),
  // Argon2 (hash-wasm) stays out of chat.js: the chat loads widget/argon2.js when it needs it.
  build({ ...common, entryPoints: [join(src, 'chat', 'main.js')], outfile: join(out, 'widget', 'chat.js'), plugins: [argon2Elsewhere] }),
  build({ ...common, entryPoints: [join(src, 'shared', 'argon2.js')], outfile: join(out, 'widget', 'argon2.js') }),
  build({ ...common, entryPoints: [join(src, 'chat', 'pow.js')], outfile: join(out, 'widget', 'pow.js') }),
  build({ ...common, entryPoints: [join(src, 'chat', 'chat.css')], outfile: join(out, 'widget', 'chat.css') }),
  build({ ...common, entryPoints: [join(src, 'console', 'main.js')], outfile: join(out, 'console', 'console.js'), plugins: [argon2Elsewhere] }),
  build({ ...common, entryPoints: [join(src, 'console', 'console.css')], outfile: join(out, 'console', 'console.css') }),
  copyFile(join(src, 'console', 'index.html'), join(out, 'console', 'index.html')),
]);

// Enforced in every shipped locale (non-Latin scripts take more bytes): the worst counts.
const locales = JSON.parse(await readFile(join(out, 'widget', 'banner-texts.json'), 'utf8'));
const loaderSizes = await Promise.all(Object.keys(locales).map(async (tag) => [tag, await servedLoaderGzip(tag)]));
const [worstTag, loaderGzip] = loaderSizes.reduce((a, b) => (b[1] > a[1] ? b : a));
if (loaderGzip > LOADER_GZIP_BUDGET) {
  console.error(`loader.js as served in ${worstTag} is ${loaderGzip} bytes gzip, over its ${LOADER_GZIP_BUDGET}-byte budget`);
  process.exit(1);
}
for (const [f, budget] of Object.entries(GZIP_BUDGETS)) {
  const size = gzipSync(await readFile(join(out, f)), { level: 9 }).length;
  if (size > budget) {
    console.error(`${f} is ${size} bytes gzipped, over its ${budget}-byte budget`);
    process.exit(1);
  }
}
console.log(`${'widget/loader.js'.padEnd(22)} ${loaderGzip} bytes gzip as served in its worst locale, ${worstTag} (budget ${LOADER_GZIP_BUDGET})`);
for (const f of ['widget/loader.js', 'widget/panel.js', 'widget/chat.js', 'widget/argon2.js', 'widget/pow.js', 'widget/chat.css', 'console/console.js', 'console/console.css', 'console/index.html']) {
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
 * loader.js as the server sends it to a registered page of the reference partner (the
 * snippet's crossorigin attribute lets the server check the page's origin), with the
 * banner texts of `tag`; gzipped. Mirrors server/web/loader.py; bench/bundles.py
 * measures the real server's answer.
 * @param {string} tag
 */
async function servedLoaderGzip(tag) {
  const loader = await readFile(join(out, 'widget', 'loader.js'), 'utf8');
  /** @type {Record<string, {dir: string, texts: Record<string, string>}>} */
  const locales = JSON.parse(await readFile(join(out, 'widget', 'banner-texts.json'), 'utf8'));
  const { dir, texts } = locales[tag];
  const config = {
    mode: 'banner', lang: tag, dir,
    // What the loader shows (the panel's own texts come with panel.js: server/web/loader.py).
    texts: ['open', 'exit', 'exitLabel', 'region', 'leave'].map((k) => texts[k]),
    colors: ['#2b2256', '#ffffff', '#ffffff', '#2b2256'],
    exit: 'https://www.example.org/meteo',
  };
  if (!loader.includes('"__PNAV_CONFIG__"')) throw new Error('loader.js lost its "__PNAV_CONFIG__" slot');
  return gzipSync(loader.replace('"__PNAV_CONFIG__"', JSON.stringify(config)), { level: 9 }).length;
}
