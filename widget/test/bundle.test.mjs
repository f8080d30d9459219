// Checks on the built bundles (run `npm run build` first; skipped otherwise):
// the loader stays small and dependency-free, nothing uses eval-like features
// that the CSP `script-src 'self' 'wasm-unsafe-eval'` forbids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const out = fileURLToPath(new URL('../../src/pnav/server/web/static/', import.meta.url));
const built = existsSync(`${out}widget/loader.js`);
const read = (/** @type {string} */ f) => readFileSync(out + f, 'utf8');

test('loader is small and has no dependencies', { skip: !built && 'not built' }, () => {
  assert.ok(statSync(`${out}widget/loader.js`).size <= 8 * 1024);
  const loader = read('widget/loader.js');
  for (const banned of ['nacl', 'argon2', 'WebAssembly', 'localStorage', 'sessionStorage', 'indexedDB', 'document.cookie', 'pushState', 'allow-same-origin']) {
    assert.ok(!loader.includes(banned), banned);
  }
});

test('bundles avoid eval and storage', { skip: !built && 'not built' }, () => {
  for (const f of ['widget/loader.js', 'widget/panel.js', 'widget/chat.js', 'widget/argon2.js', 'widget/pow.js', 'console/console.js']) {
    const js = read(f);
    assert.doesNotMatch(js, /\beval\(|new Function\b/, f);
    assert.doesNotMatch(js, /localStorage|sessionStorage|indexedDB|document\.cookie/, f);
  }
  // The chat runs Argon2 (hash-wasm) for resume codes only, from widget/argon2.js which
  // it loads when a code is made or typed: the srcdoc's CSP allows 'wasm-unsafe-eval'
  // for it, never 'unsafe-eval'. chat.js itself has no wasm.
  assert.ok(read('widget/argon2.js').includes('WebAssembly'));
  assert.ok(!read('widget/chat.js').includes('WebAssembly'));
});

test('console page has no inline script or style', { skip: !built && 'not built' }, () => {
  const html = read('console/index.html');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)/);
  assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i);
});
