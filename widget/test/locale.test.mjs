// Interface strings at run time (shared/i18n.js, console/locale.js): lookups, bidi
// isolation of filled-in values, the wanted-language list, and fetching another of
// the console's languages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { format, lookup, wantedLanguages, isRtl } from '../src/shared/i18n.js';
import { fetchLocale } from '../src/console/locale.js';
import frTable from '../src/locales/fr.json' with { type: 'json' };
import arTable from '../src/locales/ar.json' with { type: 'json' };

test('a lookup fills placeholders and shows an unknown key as itself', () => {
  const t = lookup(frTable.chat);
  assert.equal(t('waitingPosition', { position: 3 }), 'En attente d’un·e opérateur·rice. Position dans la file : 3');
  assert.equal(t('no.such.key'), 'no.such.key');
  assert.equal(format('{a} et {b}', { a: 1 }), '1 et {b}');
});

test('values are isolated in right-to-left text and when they hold right-to-left letters', () => {
  const ar = lookup(arTable.chat, 'rtl');
  assert.equal(ar('waitingPosition', { position: 3 }).endsWith('\u20683\u2069'), true);
  assert.equal(format('Bonjour {name}', { name: 'سارة' }), 'Bonjour \u2068سارة\u2069');
  assert.equal(format('Bonjour {name}', { name: 'Sara' }), 'Bonjour Sara');
  assert.ok(isRtl('fa-IR') && isRtl('ps') && !isRtl('fr'));
});

test('wanted languages: the page first, then the browser; tags only, no repeats', () => {
  assert.deepEqual(wantedLanguages('ar', ['fr-FR', 'AR', 'en', '<x>', 'zh-Hans-CN']), ['ar', 'fr-FR', 'en', 'zh-Hans-CN']);
  assert.deepEqual(wantedLanguages('', undefined, null), []);
});

test('the console fetches another of its languages, both sections, and refuses a broken answer', async () => {
  /** @type {string[]} */
  const asked = [];
  const answer = (/** @type {string} */ url) => {
    asked.push(url);
    const section = new URL(url, 'http://x').searchParams.get('section');
    return { ok: true, status: 200, json: async () => ({ tag: 'fr', dir: 'ltr', strings: section === 'chat' ? frTable.chat : frTable.console }) };
  };
  const got = await fetchLocale('fr', /** @type {any} */ (async (/** @type {string} */ url) => answer(url)));
  assert.equal(got.console.title, frTable.console.title);
  assert.equal(got.chat['who.victim'], 'Victime');
  assert.equal(asked.length, 2);
  const broken = /** @type {any} */ (async () => ({ ok: false, status: 503, json: async () => ({ error: 'x' }) }));
  await assert.rejects(fetchLocale('fr', broken));
});
