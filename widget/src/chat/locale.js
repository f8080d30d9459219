// The chat's strings, one language at a time, from the pnav server. Loaded as a
// script (GET /widget/locale.js?want=…): the chat frame's CSP allows scripts from the
// server and no other fetch, and the answer is no-store like every chat response.

/**
 * @typedef {import('../shared/i18n.js').LocaleTable & {
 *   interface: [string, string | null, boolean][],
 *   writing: string[],
 * }} ChatLocale interface: [tag, its own name (null: name it with Intl), machine-made];
 *   writing: the languages a person may write in (shipped tables + the translator's)
 */

const script = /** @type {HTMLScriptElement | null} */ (document.currentScript);
const base = script?.src || location.href;
let pending = 0;

/**
 * Fetch the first available of `want`'s languages (the server falls back to English).
 * A later call wins: an earlier answer arriving late is dropped.
 * @param {string[]} want
 * @returns {Promise<ChatLocale>}
 */
export function loadLocale(want) {
  const mine = ++pending;
  return new Promise((resolve, reject) => {
    const el = document.createElement('script');
    // The answer calls pnavLocale(table, n) with this call's number n, so that an
    // earlier script running late cannot answer for this one.
    /** @type {any} */ (globalThis).pnavLocale = (/** @type {ChatLocale} */ data, /** @type {number} */ n) => {
      if (n === mine && mine === pending && valid(data)) resolve(data);
    };
    el.src = new URL(`locale.js?want=${encodeURIComponent(want.join(','))}&n=${mine}`, base).href;
    el.addEventListener('load', () => {
      el.remove();
      if (mine === pending) reject(new Error('locale: no table in the answer'));
    });
    el.addEventListener('error', () => {
      el.remove();
      reject(new Error('locale: unreachable'));
    });
    document.head.append(el);
  });
}

/** @param {any} d @returns {d is ChatLocale} */
function valid(d) {
  return !!d && typeof d.tag === 'string' && (d.dir === 'ltr' || d.dir === 'rtl') && typeof d.strings === 'object'
    && Array.isArray(d.interface) && Array.isArray(d.writing);
}
