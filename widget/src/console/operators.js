// Operators and the desk key (server: operators_api.py), for supervisors: the
// accounts, removing one, rotating the desk key; each change after a
// confirmation step. The same as `pnav operator remove` and `pnav desk
// rotate`: no password is needed, since a new desk key is sealed to operators'
// public keys. A console keeps the desk keys it unlocked at login, so a new
// key reaches open consoles (this one too) only at their next login: the
// section says so after every change.
import { h } from '../shared/dom.js';

export const OPERATORS_URL = '/console/api/operators';
export const ROTATE_URL = '/console/api/desk/rotate';

/**
 * @typedef {(key: string, vars?: Record<string, string | number>) => string} T
 * @typedef {(url: string, init: RequestInit) => Promise<Response>} FetchLike
 * @typedef {{username: string, role: string, removed: boolean, capacity: number | null, held: number}} Account
 * @typedef {{id: string, created_at: number}} DeskKeyInfo
 * @typedef {{operators: Account[], deskKey: DeskKeyInfo | null, you: string}} Accounts
 * @typedef {{removed: string, held: number, desk_key: DeskKeyInfo}} Removal
 * @typedef {{desk_key: DeskKeyInfo, sealed_to: number}} Rotation
 * @typedef {{ok: true, body: any} | {ok: false, error: string}} Outcome
 *   error: the server's sentence (English), or '' when it could not be reached
 */

/** @param {string} username */
export function removeUrl(username) {
  return `${OPERATORS_URL}/${encodeURIComponent(username)}/remove`;
}

/** The server's answers, checked; never throws. */
export class OperatorsApi {
  /** @param {{fetch?: FetchLike}} [opts] */
  constructor(opts = {}) {
    this.fetch = opts.fetch ?? ((url, init) => fetch(url, init));
  }

  /** @returns {Promise<{ok: true, accounts: Accounts} | {ok: false, error: string}>} */
  async list() {
    const outcome = await this.call('GET', OPERATORS_URL);
    if (!outcome.ok) return outcome;
    const b = outcome.body;
    if (!b || !Array.isArray(b.operators)) return { ok: false, error: '' };
    return {
      ok: true,
      accounts: {
        operators: b.operators.filter(isAccount),
        deskKey: isKey(b.desk_key) ? b.desk_key : null,
        you: typeof b.you === 'string' ? b.you : '',
      },
    };
  }

  /** @param {string} username @returns {Promise<Outcome>} */
  remove(username) {
    return this.call('POST', removeUrl(username));
  }

  /** @returns {Promise<Outcome>} */
  rotate() {
    return this.call('POST', ROTATE_URL);
  }

  /** @private @param {string} method @param {string} url @returns {Promise<Outcome>} */
  async call(method, url) {
    try {
      const res = await this.fetch(url, { method, credentials: 'same-origin', cache: 'no-store' });
      const body = await res.json().catch(() => ({}));
      if (res.ok) return { ok: true, body };
      return { ok: false, error: typeof body?.error === 'string' ? body.error : `HTTP ${res.status}` };
    } catch {
      return { ok: false, error: '' };
    }
  }
}

/** @param {any} a @returns {a is Account} */
function isAccount(a) {
  return !!a && typeof a === 'object' && typeof a.username === 'string' && typeof a.role === 'string'
    && typeof a.removed === 'boolean' && Number.isInteger(a.held);
}

/** @param {any} k @returns {k is DeskKeyInfo} */
function isKey(k) {
  return !!k && typeof k === 'object' && typeof k.id === 'string' && typeof k.created_at === 'number';
}

/**
 * What the section says after a removal.
 * @param {Removal} r @param {T} t
 * @returns {string[]}
 */
export function removalLines(r, t) {
  const name = r.removed;
  const lines = [t('operators.removed', { name, key: r.desk_key?.id ?? '?' })];
  lines.push(r.held > 0
    ? t('operators.heldOnRemoval', { name, count: r.held, list: t('attention') })
    : t('operators.noneHeld', { name }));
  lines.push(t('operators.relogin'));
  return lines;
}

/**
 * What the section says after a rotation.
 * @param {Rotation} r @param {T} t
 * @returns {string[]}
 */
export function rotationLines(r, t) {
  return [t('operators.rotated', { key: r.desk_key?.id ?? '?', count: r.sealed_to ?? 0 }), t('operators.relogin')];
}

/**
 * The supervisors' section: a `<details data-pnav="operators-admin">` in
 * index.html, hidden for operators (the server refuses them anyway).
 */
export class OperatorsAdmin {
  /**
   * @param {HTMLDetailsElement} el
   * @param {{t: T, lang: string, api?: OperatorsApi}} opts
   */
  constructor(el, opts) {
    this.el = el;
    this.t = opts.t;
    this.lang = opts.lang;
    this.api = opts.api ?? new OperatorsApi();
    /** @type {Accounts | null} */
    this.accounts = null;
    /** @type {string | null} the account whose removal awaits confirmation */
    this.confirming = null;
    this.busy = false;
    const { t } = opts;
    this.keyInfo = h('p', { className: 'c-operators__key', 'data-pnav': 'desk-key' });
    this.list = h('ul', { className: 'c-operators__list', 'data-pnav': 'operators-list' });
    this.rotateButton = h('button', { type: 'button', className: 'c-button', 'data-pnav': 'desk-rotate' }, t('operators.rotate'));
    this.rotateConfirm = h('button', { type: 'button', className: 'c-button c-button--danger', 'data-pnav': 'desk-rotate-confirm' }, t('operators.rotateConfirm'));
    this.rotateCancel = h('button', { type: 'button', className: 'c-button', 'data-pnav': 'desk-rotate-cancel' }, t('operators.cancel'));
    this.rotateAsk = h('div', { className: 'c-operators__confirm', 'data-pnav': 'desk-rotate-ask', hidden: true },
      h('p', {}, t('operators.rotateQuestion')), h('div', { className: 'c-canned__row' }, this.rotateConfirm, this.rotateCancel));
    this.status = h('p', { className: 'c-canned__status c-operators__status', 'data-pnav': 'operators-status', role: 'status' });
    this.body = h('div', { className: 'c-operators__body' }, this.list, this.keyInfo,
      h('div', { className: 'c-canned__row' }, this.rotateButton), this.rotateAsk, this.status);
    this.rotateButton.addEventListener('click', () => this.askRotate(true));
    this.rotateCancel.addEventListener('click', () => this.askRotate(false));
    this.rotateConfirm.addEventListener('click', () => this.rotate());
    // Opened: ask the server (another supervisor may have changed something).
    this.onToggle = () => {
      if (this.el.open) this.load();
    };
    this.el.addEventListener('toggle', this.onToggle);
  }

  /** @param {boolean} on supervisors only */
  show(on) {
    this.el.hidden = !on;
    if (on && !this.body.isConnected) this.el.append(this.body);
  }

  /** Logged out: hide, forget the list and what was said. */
  stop() {
    this.el.removeEventListener('toggle', this.onToggle);
    this.el.open = false;
    this.el.hidden = true;
    this.body.remove();
    this.accounts = null;
    this.confirming = null;
  }

  /** @returns {Promise<void>} */
  async load() {
    const outcome = await this.api.list();
    if (outcome.ok) {
      this.accounts = outcome.accounts;
    } else if (!this.accounts) {
      this.say(this.t('operators.loadFailed', { message: outcome.error || this.t('serverError') }), true);
    }
    this.render();
  }

  /** @private */
  render() {
    const { t } = this;
    const accounts = this.accounts;
    if (!accounts) {
      this.list.replaceChildren();
      this.keyInfo.textContent = '';
      return;
    }
    const key = accounts.deskKey;
    this.keyInfo.textContent = key
      ? t('operators.deskKey', { key: key.id, when: new Date(key.created_at * 1000).toLocaleString(this.lang) })
      : t('operators.noDeskKey');
    this.list.replaceChildren(...accounts.operators.map((a) => this.item(a, a.username === accounts.you)));
  }

  /** @private @param {Account} a @param {boolean} you */
  item(a, you) {
    const { t } = this;
    const facts = [t(`operators.role.${a.role}`)];
    if (you) facts.push(t('operators.you'));
    if (a.removed) facts.push(t('floor.removed'));
    if (a.held > 0 || !a.removed) facts.push(t('operators.held', { count: a.held }));
    if (a.capacity !== null && !a.removed) facts.push(t('operators.capacity', { count: a.capacity }));
    const li = h('li', {
      className: 'c-operators__item', 'data-pnav': 'operators-item', 'data-username': a.username, 'data-removed': String(a.removed),
    }, h('p', {}, h('strong', {}, a.username), ` · ${facts.join(' · ')}`));
    if (you || a.removed) return li;
    if (this.confirming !== a.username) {
      const remove = h('button', { type: 'button', className: 'c-button', 'data-pnav': 'operator-remove', disabled: this.busy }, t('operators.remove'));
      remove.addEventListener('click', () => {
        this.confirming = a.username;
        this.render();
        /** @type {HTMLButtonElement | null} */ (this.list.querySelector('[data-pnav="operator-remove-cancel"]'))?.focus();
      });
      li.append(h('div', { className: 'c-canned__row' }, remove));
      return li;
    }
    const confirm = h('button', { type: 'button', className: 'c-button c-button--danger', 'data-pnav': 'operator-remove-confirm', disabled: this.busy },
      t('operators.removeConfirm', { name: a.username }));
    const cancel = h('button', { type: 'button', className: 'c-button', 'data-pnav': 'operator-remove-cancel' }, t('operators.cancel'));
    confirm.addEventListener('click', () => this.remove(a.username));
    cancel.addEventListener('click', () => {
      this.confirming = null;
      this.render();
    });
    li.append(h('div', { className: 'c-operators__confirm', 'data-pnav': 'operator-remove-ask' },
      h('p', {}, t('operators.removeQuestion', { name: a.username })), h('div', { className: 'c-canned__row' }, confirm, cancel)));
    return li;
  }

  /** @private @param {string} username */
  async remove(username) {
    if (this.busy) return;
    this.busy = true;
    this.render();
    const outcome = await this.api.remove(username);
    this.busy = false;
    this.confirming = null;
    if (outcome.ok) this.say(removalLines(outcome.body, this.t).join(' '), false);
    else this.say(this.failure(outcome.error), true);
    await this.load();
  }

  /** @private @param {boolean} on */
  askRotate(on) {
    this.rotateAsk.hidden = !on;
    this.rotateButton.hidden = on;
    if (on) this.rotateCancel.focus();
  }

  /** @private */
  async rotate() {
    if (this.busy) return;
    this.busy = true;
    this.rotateConfirm.disabled = true;
    const outcome = await this.api.rotate();
    this.busy = false;
    this.rotateConfirm.disabled = false;
    this.askRotate(false);
    if (outcome.ok) this.say(rotationLines(outcome.body, this.t).join(' '), false);
    else this.say(this.failure(outcome.error), true);
    await this.load();
  }

  /** @private @param {string} error the server's sentence, or '' (unreachable) */
  failure(error) {
    return this.t('operators.failed', { message: error || this.t('serverError') });
  }

  /** @private @param {string} text @param {boolean} error */
  say(text, error) {
    this.status.textContent = text;
    this.status.dataset.error = String(error);
  }
}
