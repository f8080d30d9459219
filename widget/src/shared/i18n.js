// Interface strings. Chat and console strings are separate objects so that each
// bundle only carries its own (esbuild drops the unused one).
// Placeholders are written {name} and filled by format().
import fr from '../locales/fr.json' with { type: 'json' };
import en from '../locales/en.json' with { type: 'json' };

/** @typedef {'fr' | 'en'} UiLang */

/** Interface languages, in the order of the language select. */
export const UI_LANGS = /** @type {const} */ ([
  ['fr', 'Français'],
  ['en', 'English'],
]);

/**
 * Languages a person may say they will write in (the conversation's language, which
 * the operator's console translates from), each named in itself. The interface
 * stays in French or English; machine translation does the rest.
 */
export const WRITE_LANGS = /** @type {const} */ ([
  ['fr', 'Français'],
  ['en', 'English'],
  ['es', 'Español'],
  ['ar', 'العربية'],
  ['pt', 'Português'],
  ['it', 'Italiano'],
  ['de', 'Deutsch'],
  ['ro', 'Română'],
  ['pl', 'Polski'],
  ['ru', 'Русский'],
  ['uk', 'Українська'],
  ['tr', 'Türkçe'],
  ['fa', 'فارسی'],
  ['zh', '中文'],
]);

/**
 * Pick a supported interface language for a BCP 47 tag ("fr-BE" → "fr").
 * @param {unknown} tag
 * @param {UiLang} [fallback]
 * @returns {UiLang}
 */
export function uiLang(tag, fallback = 'fr') {
  const base = typeof tag === 'string' ? tag.toLowerCase().split('-')[0] : '';
  return base === 'fr' || base === 'en' ? base : fallback;
}

/**
 * @param {string} text
 * @param {Record<string, string | number>} [vars]
 */
export function format(text, vars) {
  return vars ? text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : text;
}

// The tables themselves are data files, one per locale (widget/src/locales/<tag>.json,
// sections "banner", "chat" and "console"), checked by widget/test/locales.test.mjs.
export const chatStrings = { fr: fr.chat, en: en.chat };
export const consoleStrings = { en: en.console, fr: fr.console };

/**
 * A lookup function for one language of a string table; unknown keys fall
 * back to the key itself so a missing string is visible, never a crash.
 * @template {Record<string, Record<string, string>>} T
 * @param {T} table
 * @param {keyof T} lang
 * @returns {(key: string, vars?: Record<string, string | number>) => string}
 */
export function translator(table, lang) {
  const strings = table[lang];
  return (key, vars) => format(strings[key] ?? key, vars);
}
