// Guards on the built loader (run `npm run build` first; skipped otherwise)
// for the quick-exit promises that are easy to lose in a refactor. The
// behaviour itself is tested in a real browser: tests/e2e/test_quick_exit.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const file = fileURLToPath(new URL('../../src/pnav/server/web/static/widget/loader.js', import.meta.url));
const built = existsSync(file);
const loader = built ? readFileSync(file, 'utf8') : '';
/** @param {RegExp} re */
const count = (re) => (loader.match(re) || []).length;

test('the loader talks to nobody but the pnav server: a ticket, an exit beacon', { skip: !built && 'not built' }, () => {
  // fetch: the ticket, and the exit's fallback when sendBeacon refuses.
  assert.equal(count(/\bfetch\(/g), 2);
  assert.equal(count(/\.sendBeacon\(/g), 1);
  for (const banned of ['XMLHttpRequest', 'new Image', 'WebSocket', 'import(', 'dataLayer', 'gtag', '_paq', 'analytics']) {
    assert.ok(!loader.includes(banned), banned);
  }
});

test('Shift×3 counts physical presses only', { skip: !built && 'not built' }, () => {
  assert.match(loader, /\.isTrusted/);
  assert.match(loader, /\.repeat/);
  assert.match(loader, /"Shift"/);
});

test('the chat is dropped on pagehide and on a restore from the back-forward cache', { skip: !built && 'not built' }, () => {
  assert.match(loader, /"pagehide"/);
  assert.match(loader, /"pageshow"/);
  assert.match(loader, /\.persisted/);
  assert.ok(!loader.includes('"unload"'), 'an unload handler keeps pages out of the cache');
});

test('the exit button and the panel go into the top layer where supported', { skip: !built && 'not built' }, () => {
  assert.match(loader, /showPopover\(\)/);
  assert.match(loader, /2147483647/);
});
