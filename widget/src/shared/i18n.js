// Interface strings. The tables are data files, one per locale
// (widget/src/locales/<tag>.json, sections "banner", "chat", "console"); no bundle
// carries them: the chat and the console fetch the one language they show from the
// pnav server (no-store, like every chat response: nothing stays on the device).
// See docs/translations.md. Placeholders are written {name} and filled by format().

/** @typedef {Record<string, string>} Strings */
/** @typedef {(key: string, vars?: Record<string, string | number>) => string} Lookup */
/**
 * One language's strings as the server sends them.
 * @typedef {object} LocaleTable
 * @property {string} tag the language tag of the table (fr, ar, zh-Hans, or a
 *   translator's code for a machine-made table)
 * @property {'ltr' | 'rtl'} dir
 * @property {boolean} machine made by machine translation, not shipped
 * @property {Strings} strings
 */

/** Base languages written right to left. */
const RTL = new Set(['ar', 'fa', 'ps', 'he', 'ur', 'yi', 'dv', 'ckb', 'sd', 'ug']);
const TAG = /^[a-z]{2,3}(-[a-z0-9]{1,8}){0,3}$/i;

// A character of a right-to-left script (Hebrew, Arabic, Syriac, Thaana, N'Ko…).
const RTL_CHAR = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]/;

/**
 * Fill {name} placeholders. A value goes inside Unicode isolates (FSI…PDI) when the
 * text around it is right to left or the value holds right-to-left letters, so that
 * a name or a number keeps its own direction and never reorders the sentence.
 * @param {string} text
 * @param {Record<string, string | number>} [vars]
 * @param {boolean} [rtl] the text is in a right-to-left language
 */
export function format(text, vars, rtl = false) {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, k) => {
    if (!(k in vars)) return m;
    const value = String(vars[k]);
    return rtl || RTL_CHAR.test(value) ? `\u2068${value}\u2069` : value;
  });
}

/**
 * A lookup function over one language's strings; an unknown key gives the key
 * itself, so a missing string is visible, never a crash.
 * @param {Strings} strings
 * @param {'ltr' | 'rtl'} [dir]
 * @returns {Lookup}
 */
export function lookup(strings, dir = 'ltr') {
  return (key, vars) => format(strings[key] ?? key, vars, dir === 'rtl');
}

/**
 * The languages to ask the server for, best first: the partner's (or the one the
 * person picked), then the browser's; language tags only, no repeats.
 * @param {...(string | readonly string[] | null | undefined)} lists
 * @returns {string[]}
 */
export function wantedLanguages(...lists) {
  /** @type {string[]} */
  const out = [];
  for (const list of lists) {
    for (const tag of typeof list === 'string' ? [list] : list || []) {
      if (TAG.test(tag) && !out.some((t) => t.toLowerCase() === tag.toLowerCase())) out.push(tag);
    }
  }
  return out.slice(0, 12);
}

/** @param {string} tag */
export function isRtl(tag) {
  return RTL.has(tag.toLowerCase().split('-')[0]);
}

/**
 * A language's name in itself ("العربية", "ትግርኛ"), else in `inLang`, else its code.
 * @param {string} code @param {string} [inLang]
 */
export function autonym(code, inLang) {
  for (const display of [code, inLang]) {
    if (!display) continue;
    try {
      const name = new Intl.DisplayNames([display], { type: 'language', fallback: 'none' }).of(code);
      if (name) return name;
    } catch {
      // an unknown tag in this browser's ICU data: try the next way to name it
    }
  }
  return code;
}
