// Guards on the built loader (run `npm run build` first; skipped otherwise)
// for the quick-exit promises that are easy to lose in a refactor. The
// behaviour itself is tested in a real browser: tests/e2e/test_quick_exit.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const file = fileURLToPath(new URL('../../src/pnav/server/web/static/widget/loader.js', import.meta.url));
const built = existsSync(file);
// What every page view runs, and the panel it fetches on the first interaction.
const loader = built ? readFileSync(file, 'utf8') : '';
const panel = built ? readFileSync(file.replace(/loader\.js$/, 'panel.js'), 'utf8') : '';
const both = loader + panel;
/** @param {RegExp} re */
const count = (re) => (both.match(re) || []).length;

test('the loader talks to nobody but the pnav server: a ticket, an exit beacon', { skip: !built && 'not built' }, () => {
  // fetch: the ticket, and the exit's fallback when sendBeacon refuses.
  assert.equal(count(/\bfetch\(/g), 2);
  assert.equal(count(/\.sendBeacon\(/g), 1);
  for (const banned of ['XMLHttpRequest', 'new Image', 'WebSocket', 'import(', 'dataLayer', 'gtag', '_paq', 'analytics']) {
    assert.ok(!both.includes(banned), banned);
  }
  // Each page view fetches nothing but the panel, on the first interaction.
  assert.ok(!loader.includes('fetch('));
});

test('Shift×3 counts physical presses only', { skip: !built && 'not built' }, () => {
  assert.match(loader, /\.isTrusted/);
  assert.match(loader, /\.repeat/);
  assert.match(loader, /"Shift"/);
});

test('the chat is dropped on pagehide and on a restore from the back-forward cache', { skip: !built && 'not built' }, () => {
  assert.match(panel, /"pagehide"/);
  assert.match(panel, /"pageshow"/);
  assert.match(panel, /\.persisted/);
  assert.ok(!both.includes('"unload"'), 'an unload handler keeps pages out of the cache');
});

test('the exit button and the panel go into the top layer where supported', { skip: !built && 'not built' }, () => {
  assert.match(loader, /showPopover\(\)/);
  assert.match(loader, /2147483647/);
});

test('what the loader creates carries the page nonce and goes through its own Trusted Types policy', { skip: !built && 'not built' }, () => {
  assert.match(loader, /createPolicy\("pnav"/);
  assert.match(loader, /\.nonce=/);
  assert.match(panel, /nonce="/);
  assert.match(panel, /createHTML\(/);
});
