// Canned replies (server: canned_api.py). Operators pick one under a
// conversation and it goes into that conversation's reply box, to be edited
// and sent by them: nothing here ever sends a message. Supervisors manage the
// replies in a section of the desk. Replies are not conversation content:
// they come from the server in clear, over the console's own session.
import { h } from '../shared/dom.js';
import { languageName } from './translate.js';

export const CANNED_URL = '/console/api/canned';
export const MAX_TITLE = 80;
export const MAX_TEXT = 2000;
// The server's rule (src/pnav/sdk/translator.py, is_language_code).
const LANG_CODE = /^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$/;
/** @type {WeakSet<HTMLTextAreaElement>} reply boxes whose language mark is cleared when emptied */
const watched = new WeakSet();

/**
 * @typedef {(key: string, vars?: Record<string, string | number>) => string} T
 * @typedef {{id: number, lang: string, title: string, text: string, updated_at: number}} CannedReply
 * @typedef {(url: string, init: RequestInit) => Promise<Response>} FetchLike
 * @typedef {{ok: true, reply?: CannedReply} | {ok: false, error: string}} Outcome
 *   error: the server's sentence (English), or '' when it could not be reached
 */

/**
 * The replies for a conversation: those in its language first, then those in
 * the operator's interface language (each group by title, as the server sorts).
 * @param {CannedReply[]} replies
 * @param {string} convLang
 * @param {string} uiLang
 * @returns {CannedReply[]}
 */
export function forConversation(replies, convLang, uiLang) {
  const first = replies.filter((r) => r.lang === convLang);
  const then = uiLang === convLang ? [] : replies.filter((r) => r.lang === uiLang);
  return [...first, ...then];
}

/**
 * Check a reply before it is sent to the server (which checks again).
 * @param {{lang: string, title: string, text: string}} r
 * @returns {string | null} an i18n key saying what is wrong, or null
 */
export function problem(r) {
  if (!r.lang.trim() || !r.title.trim() || !r.text.trim()) return 'canned.missing';
  if (!LANG_CODE.test(r.lang.trim())) return 'canned.badLang';
  if (r.title.trim().length > MAX_TITLE) return 'canned.titleTooLong';
  if (r.text.trim().length > MAX_TEXT) return 'canned.textTooLong';
  return null;
}

/** The replies as the server last gave them, shared by every picker and the management section. */
export class CannedReplies {
  /** @param {{fetch?: FetchLike}} [opts] */
  constructor(opts = {}) {
    this.fetch = opts.fetch ?? ((url, init) => fetch(url, init));
    /** @type {CannedReply[]} */
    this.replies = [];
    /** @type {Set<() => void>} */
    this.listeners = new Set();
    /** the last load failed */
    this.failed = false;
    /** a load has finished (until then, no "none" is said) */
    this.loaded = false;
  }

  /** @param {() => void} fn called after every load @returns {() => void} unsubscribe */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Fetch the list again; keeps the previous one when that fails. @returns {Promise<void>} */
  async load() {
    try {
      const res = await this.fetch(CANNED_URL, { method: 'GET', credentials: 'same-origin', cache: 'no-store' });
      const body = res.ok ? await res.json() : null;
      if (!body || !Array.isArray(body.replies)) throw new Error('bad answer');
      this.replies = body.replies.filter(isReply);
      this.failed = false;
    } catch {
      this.failed = true;
    }
    this.loaded = true;
    for (const fn of this.listeners) fn();
  }

  /**
   * Add (id null) or replace a reply, then reload the list.
   * @param {{lang: string, title: string, text: string}} r @param {number | null} id
   * @returns {Promise<Outcome>}
   */
  save(r, id) {
    const body = JSON.stringify({ lang: r.lang.trim(), title: r.title.trim(), text: r.text.trim() });
    return this.write(id === null ? 'POST' : 'PUT', id === null ? CANNED_URL : `${CANNED_URL}/${id}`, body);
  }

  /** @param {number} id @returns {Promise<Outcome>} */
  remove(id) {
    return this.write('DELETE', `${CANNED_URL}/${id}`, undefined);
  }

  /** @private @param {string} method @param {string} url @param {string | undefined} body @returns {Promise<Outcome>} */
  async write(method, url, body) {
    /** @type {Outcome} */
    let outcome;
    try {
      const res = await this.fetch(url, {
        method, credentials: 'same-origin', cache: 'no-store', body,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      });
      const answer = res.status === 204 ? {} : await res.json().catch(() => ({}));
      outcome = res.ok ? { ok: true, reply: isReply(answer.reply) ? answer.reply : undefined }
        : { ok: false, error: typeof answer.error === 'string' ? answer.error : `HTTP ${res.status}` };
    } catch {
      outcome = { ok: false, error: '' };
    }
    await this.load();
    return outcome;
  }
}

/** @param {any} r @returns {r is CannedReply} */
function isReply(r) {
  return !!r && typeof r === 'object' && Number.isInteger(r.id) && typeof r.lang === 'string'
    && typeof r.title === 'string' && typeof r.text === 'string';
}

/**
 * A conversation tool (conversations.js, Tool): a disclosure with the replies
 * in the conversation's language, then in the operator's, and a button that
 * puts the chosen one into this panel's reply box, where the cursor is. The
 * box is marked with the reply's language (its `lang`), so that a reply
 * already in the person's language is not machine-translated again.
 * @param {CannedReplies} canned
 * @param {{t: T, lang: string}} opts lang: the operator's interface language
 * @returns {(c: {key: string, lang: string}, id: string) => HTMLElement}
 */
export function cannedPicker(canned, opts) {
  const { t, lang } = opts;
  return (c, id) => {
    const select = h('select', { id: `${id}-canned`, 'data-pnav': 'canned-select' });
    const insert = h('button', { type: 'button', className: 'c-button', 'data-pnav': 'canned-insert' }, t('canned.insert'));
    const status = h('p', { className: 'c-canned__status', 'data-pnav': 'canned-status', role: 'status' });
    const el = h('details', { className: 'c-canned', 'data-pnav': 'canned' },
      h('summary', {}, t('canned')),
      h('div', { className: 'c-canned__row' }, h('label', { htmlFor: select.id }, t('canned.choose')), select, insert),
      status);
    /** @type {Map<string, CannedReply>} */
    let shown = new Map();
    const render = () => {
      const replies = forConversation(canned.replies, c.lang, lang);
      shown = new Map(replies.map((r) => [String(r.id), r]));
      const groups = [...new Set(replies.map((r) => r.lang))].map((code) => h('optgroup', { label: languageName(code, lang) },
        ...replies.filter((r) => r.lang === code).map((r) => h('option', { value: String(r.id), lang: r.lang, title: r.text }, r.title))));
      const before = select.value;
      select.replaceChildren(...groups);
      if (shown.has(before)) select.value = before;
      const none = replies.length === 0;
      select.hidden = none;
      insert.hidden = none;
      status.textContent = canned.failed ? t('canned.loadFailed')
        : none && canned.loaded ? t('canned.none', { lang: languageName(c.lang, lang) }) : '';
    };
    // Built before its panel is added to the page; a later load finds it there.
    const stop = canned.subscribe(() => {
      if (!el.isConnected) stop(); // the conversation was removed
      else render();
    });
    render();
    // Opened: ask again, so a reply a supervisor just wrote is there.
    el.addEventListener('toggle', () => {
      if (el.open) canned.load();
    });
    insert.addEventListener('click', () => {
      const reply = shown.get(select.value);
      const box = /** @type {HTMLTextAreaElement | null} */ (el.closest('[data-pnav="conversation"]')?.querySelector('[data-pnav="reply-input"]'));
      if (!reply || !box || box.disabled) return;
      box.setRangeText(reply.text, box.selectionStart, box.selectionEnd, 'end');
      box.lang = reply.lang;
      if (!watched.has(box)) {
        watched.add(box);
        box.addEventListener('input', () => {
          if (!box.value.trim()) box.lang = '';
        });
      }
      box.focus();
      status.textContent = t('canned.inserted');
    });
    return el;
  };
}

/**
 * Supervisors' management section: the list, a form to add or edit, delete.
 * The element (a `<details data-pnav="canned-admin">` in index.html) stays
 * hidden for operators; the server refuses their changes anyway.
 */
export class CannedAdmin {
  /**
   * @param {HTMLDetailsElement} el
   * @param {CannedReplies} canned
   * @param {{t: T, lang: string}} opts
   */
  constructor(el, canned, opts) {
    this.el = el;
    this.canned = canned;
    this.t = opts.t;
    this.uiLang = opts.lang;
    /** @type {number | null} the reply being edited */
    this.editing = null;
    const { t } = opts;
    this.list = h('ul', { className: 'c-canned-admin__list', 'data-pnav': 'canned-list' });
    this.langInput = h('input', { id: 'canned-lang', 'data-pnav': 'canned-lang', autocomplete: 'off', autocapitalize: 'none', spellcheck: false, required: true, size: 8 });
    this.titleInput = h('input', { id: 'canned-title', 'data-pnav': 'canned-title', autocomplete: 'off', maxLength: MAX_TITLE, required: true });
    this.textInput = h('textarea', { id: 'canned-text', className: 'c-input', rows: 4, 'data-pnav': 'canned-text', maxLength: MAX_TEXT, required: true });
    this.saveButton = h('button', { type: 'submit', className: 'c-button c-button--primary', 'data-pnav': 'canned-save' }, t('canned.add'));
    this.cancelButton = h('button', { type: 'button', className: 'c-button', 'data-pnav': 'canned-cancel', hidden: true }, t('canned.cancel'));
    this.status = h('p', { className: 'c-canned__status', 'data-pnav': 'canned-admin-status', role: 'status' });
    const form = h('form', { className: 'c-canned-admin__form', 'data-pnav': 'canned-form', noValidate: true },
      h('label', { htmlFor: this.langInput.id }, t('canned.lang')), this.langInput,
      h('label', { htmlFor: this.titleInput.id }, t('canned.titleLabel')), this.titleInput,
      h('label', { htmlFor: this.textInput.id }, t('canned.text')), this.textInput,
      this.status, h('div', { className: 'c-canned__row' }, this.saveButton, this.cancelButton));
    this.body = h('div', { className: 'c-canned-admin__body' }, this.list, form);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    this.cancelButton.addEventListener('click', () => this.edit(null));
    // Opened: ask again (another supervisor may have changed them).
    this.onToggle = () => {
      if (this.el.open) canned.load();
    };
    this.el.addEventListener('toggle', this.onToggle);
    this.unsubscribe = canned.subscribe(() => this.render());
  }

  /** @param {boolean} on supervisors only */
  show(on) {
    this.el.hidden = !on;
    if (on && !this.body.isConnected) this.el.append(this.body);
  }

  /** Logged out: hide, forget the form and the list. */
  stop() {
    this.unsubscribe();
    this.el.removeEventListener('toggle', this.onToggle);
    this.el.open = false;
    this.el.hidden = true;
    this.body.remove();
  }

  /** @private */
  render() {
    const { t } = this;
    const replies = this.canned.replies;
    if (replies.length === 0) {
      this.list.replaceChildren(h('li', { className: 'c-empty' }, this.canned.failed ? t('canned.loadFailed') : t('canned.empty')));
      return;
    }
    this.list.replaceChildren(...replies.map((r) => {
      const edit = h('button', { type: 'button', className: 'c-button', 'data-pnav': 'canned-edit' }, t('canned.edit'));
      const del = h('button', { type: 'button', className: 'c-button c-button--danger', 'data-pnav': 'canned-delete' }, t('canned.delete'));
      edit.addEventListener('click', () => this.edit(r));
      del.addEventListener('click', () => this.remove(r, del));
      return h('li', { className: 'c-canned-admin__item', 'data-pnav': 'canned-item', 'data-id': r.id, 'data-lang': r.lang },
        h('p', {}, h('strong', { lang: r.lang }, r.title), ` · ${languageName(r.lang, this.uiLang)}`),
        h('p', { className: 'c-canned-admin__text', lang: r.lang }, r.text),
        h('div', { className: 'c-canned__row' }, edit, del));
    }));
  }

  /** Fill the form with a reply to change it, or empty it (null) to add one. @param {CannedReply | null} r */
  edit(r) {
    this.editing = r ? r.id : null;
    this.langInput.value = r ? r.lang : '';
    this.titleInput.value = r ? r.title : '';
    this.textInput.value = r ? r.text : '';
    this.saveButton.textContent = this.t(r ? 'canned.save' : 'canned.add');
    this.cancelButton.hidden = !r;
    this.say('', false);
    if (r) this.titleInput.focus();
  }

  /** @private */
  async submit() {
    if (this.saveButton.disabled) return;
    const reply = { lang: this.langInput.value, title: this.titleInput.value, text: this.textInput.value };
    const wrong = problem(reply);
    if (wrong) {
      this.say(this.t(wrong, { max: wrong === 'canned.titleTooLong' ? MAX_TITLE : MAX_TEXT }), true);
      return;
    }
    this.saveButton.disabled = true;
    const outcome = await this.canned.save(reply, this.editing);
    this.saveButton.disabled = false;
    if (!outcome.ok) {
      this.say(this.failure(outcome.error), true);
      return;
    }
    this.edit(null);
    this.say(this.t('canned.saved'), false);
  }

  /** @private @param {CannedReply} r @param {HTMLButtonElement} button */
  async remove(r, button) {
    button.disabled = true;
    const outcome = await this.canned.remove(r.id);
    button.disabled = false;
    if (!outcome.ok) {
      this.say(this.failure(outcome.error), true);
      return;
    }
    if (this.editing === r.id) this.edit(null);
    this.say(this.t('canned.deleted'), false);
  }

  /** @private @param {string} error the server's sentence, or '' (unreachable) */
  failure(error) {
    return this.t('canned.failed', { message: error || this.t('serverError') });
  }

  /** @private @param {string} text @param {boolean} error */
  say(text, error) {
    this.status.textContent = text;
    this.status.dataset.error = String(error);
  }
}
