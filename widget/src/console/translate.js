// Machine translation on the operator's side of the encryption
// (docs/backends-casework.md, "Trust boundary"): decrypted text goes to the
// server's translator over the console's own session (same origin, cookie)
// and comes back; nothing here is kept beyond the conversation's view.
// Never throws and never waits longer than the timeout: a slow, failing or
// odd answer gives the original text, marked untranslated, and the chat
// goes on.

export const TRANSLATE_URL = '/console/api/translate';
export const TIMEOUT_MS = 6000;
// Reasons that are not a problem: nothing to translate, or nothing to mark.
export const QUIET_REASONS = ['same_language', 'empty', 'disabled', 'off'];

/**
 * @typedef {object} TranslationResult
 * @property {string} text the translation, or the original when not translated
 * @property {string | null} source
 * @property {string} target
 * @property {boolean} translated
 * @property {string} [reason] why not: same_language, empty, disabled, timeout,
 *   error, malformed, unavailable, unknown_language, rate_limited, off
 *
 * @typedef {{lang: string, key: string}} ConvLike
 * @typedef {(url: string, init: RequestInit) => Promise<Response>} FetchLike
 */

/**
 * Ask the server to translate; always resolves.
 * @param {{text: string, source?: string | null, target: string, detect?: boolean}} req
 * @param {{fetch?: FetchLike, timeoutMs?: number}} [opts]
 * @returns {Promise<TranslationResult>}
 */
export async function requestTranslation(req, opts = {}) {
  const doFetch = opts.fetch ?? ((url, init) => fetch(url, init));
  const untranslated = (/** @type {string} */ reason) => ({
    text: req.text, source: req.source ?? null, target: req.target, translated: false, reason,
  });
  const abort = new AbortController();
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => {
      abort.abort();
      resolve(untranslated('timeout'));
    }, opts.timeoutMs ?? TIMEOUT_MS);
  });
  const call = (async () => {
    try {
      const res = await doFetch(TRANSLATE_URL, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        credentials: 'same-origin',
        cache: 'no-store',
        body: JSON.stringify(req),
        signal: abort.signal,
      });
      if (res.status === 429) return untranslated('rate_limited');
      if (!res.ok) return untranslated('error');
      const body = await res.json();
      if (!body || typeof body !== 'object' || typeof body.text !== 'string' || typeof body.translated !== 'boolean') {
        return untranslated('malformed');
      }
      if (!body.translated) return untranslated(typeof body.reason === 'string' ? body.reason : 'error');
      return {
        text: body.text,
        source: typeof body.source === 'string' ? body.source : req.source ?? null,
        target: req.target,
        translated: true,
      };
    } catch {
      return untranslated(abort.signal.aborted ? 'timeout' : 'error');
    }
  })();
  try {
    return /** @type {TranslationResult} */ (await Promise.race([call, timeout]));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Per-conversation translation state: on/off, and the person's language
 * (the pre-chat's, until the translator detects another one).
 */
export class Translations {
  /**
   * @param {string} operatorLang the console's interface language
   * @param {{fetch?: FetchLike, timeoutMs?: number}} [opts]
   */
  constructor(operatorLang, opts = {}) {
    this.operatorLang = operatorLang;
    this.opts = opts;
    /** @type {Set<string>} conversations with translation switched off */
    this.off = new Set();
    /** @type {Map<string, string>} detected language of the person, by conversation */
    this.langs = new Map();
    /** the server has no translator: stop asking */
    this.unavailable = false;
    /** @type {Promise<void>} settles once the server said whether it translates */
    this.ready = Promise.resolve();
  }

  /**
   * Ask the server whether it has a translator at all (with `none`, no text is
   * ever sent). When it cannot be asked, translation is tried and failures are
   * marked on each message.
   */
  check() {
    const doFetch = this.opts.fetch ?? ((url, init) => fetch(url, init));
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.opts.timeoutMs ?? TIMEOUT_MS);
    this.ready = (async () => {
      try {
        const res = await doFetch(TRANSLATE_URL, { method: 'GET', credentials: 'same-origin', cache: 'no-store', signal: abort.signal });
        if (res.ok) {
          const body = await res.json();
          if (body && body.available === false) this.unavailable = true;
        }
      } catch {
        // tried per message, marked when it fails
      } finally {
        clearTimeout(timer);
      }
    })();
    return this.ready;
  }

  /** @param {string} key */
  enabled(key) {
    return !this.off.has(key);
  }

  /** @param {string} key @param {boolean} on */
  setEnabled(key, on) {
    if (on) this.off.delete(key);
    else this.off.add(key);
  }

  /** @param {ConvLike} c @returns {string} */
  personLang(c) {
    return this.langs.get(c.key) ?? c.lang;
  }

  /** @param {string} key */
  forget(key) {
    this.off.delete(key);
    this.langs.delete(key);
  }

  /**
   * A decrypted message, into the operator's language (its language detected).
   * @param {ConvLike} c @param {string} text
   * @returns {Promise<TranslationResult | null>} null: translation is off
   */
  async incoming(c, text) {
    await this.ready;
    if (!this.enabled(c.key) || this.unavailable) return null;
    const r = await requestTranslation({ text, source: this.personLang(c) || null, target: this.operatorLang, detect: true }, this.opts);
    this.learn(r);
    if (r.translated || r.reason === 'same_language') {
      if (r.source) this.langs.set(c.key, r.source);
    }
    return r;
  }

  /**
   * What the operator wrote, into the person's language, before it is encrypted.
   * @param {ConvLike} c @param {string} text
   * @returns {Promise<TranslationResult | null>} null: off, or same language
   */
  async outgoing(c, text) {
    await this.ready;
    const target = this.personLang(c);
    if (!this.enabled(c.key) || this.unavailable || !target || target === this.operatorLang) return null;
    const r = await requestTranslation({ text, source: this.operatorLang, target, detect: false }, this.opts);
    this.learn(r);
    return r;
  }

  /** @private @param {TranslationResult} r */
  learn(r) {
    if (r.reason === 'disabled') this.unavailable = true;
  }
}

/**
 * A language's name in the interface language ("espagnol"), else its code.
 * @param {string} code @param {string} uiLang
 */
export function languageName(code, uiLang) {
  try {
    return new Intl.DisplayNames([uiLang], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}
