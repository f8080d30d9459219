// The console's strings, one language at a time (docs/translations.md). The page
// comes with its own language inside (<script type="application/json" id="pnav-locale">,
// from the browser's Accept-Language); another of the console's languages (fr, en)
// is fetched from GET /console/api/locale when the operator picks it.

/**
 * @typedef {{tag: string, dir: 'ltr' | 'rtl', console: Record<string, string>, chat: Record<string, string>}} ConsoleLocale
 *   console: the console's strings; chat: the chat's, in the same language (who/what labels)
 */

/** @param {any} d @returns {d is ConsoleLocale} */
function valid(d) {
  return !!d && typeof d.tag === 'string' && (d.dir === 'ltr' || d.dir === 'rtl')
    && typeof d.console === 'object' && typeof d.chat === 'object';
}

/** The strings the page came with. @returns {ConsoleLocale} */
export function pageLocale() {
  const data = JSON.parse(document.getElementById('pnav-locale')?.textContent || 'null');
  if (!valid(data)) throw new Error('the console page came without its strings (pnav-locale)');
  return data;
}

/**
 * Another of the console's languages, from the server (no-store).
 * @param {string} lang @param {typeof fetch} [get]
 * @returns {Promise<ConsoleLocale>}
 */
export async function fetchLocale(lang, get = fetch) {
  const ask = async (/** @type {string} */ section) => {
    const r = await get(`/console/api/locale?section=${section}&want=${encodeURIComponent(lang)}`, { credentials: 'same-origin', cache: 'no-store' });
    const body = await r.json();
    if (!r.ok || typeof body.strings !== 'object') throw new Error(`locale ${r.status}`);
    return body;
  };
  const [own, chat] = await Promise.all([ask('console'), ask('chat')]);
  const data = { tag: own.tag, dir: own.dir, console: own.strings, chat: chat.strings };
  if (!valid(data)) throw new Error('locale: malformed answer');
  return data;
}
