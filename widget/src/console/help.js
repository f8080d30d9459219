// Help on call. An operator presses "Ask for help" in a conversation; the
// connected supervisors and psychologists get a call (who · what, never a
// message) with a "Join" button, which observes the conversation as a
// supervisor does (supervise.js): they read along and whisper, never write to
// the person. The call ends for everyone once someone joined.
import { h } from '../shared/dom.js';

/**
 * @typedef {(key: string, vars?: Record<string, string | number>) => string} T
 * @typedef {import('./conversations.js').Tool} Tool
 * @typedef {import('../shared/socket.js').Frame} Frame
 */

export class HelpView {
  /**
   * @param {HTMLElement} section shown while a call is open
   * @param {HTMLElement} list
   * @param {{t: T, label: T, onJoin: (conv: string | number) => void, onCall: () => void}} opts
   *   onCall: a new call came (the alert)
   */
  constructor(section, list, opts) {
    this.section = section;
    this.list = list;
    this.opts = opts;
    /** @type {Map<string, HTMLLIElement>} calls on this floor console */
    this.calls = new Map();
    /** @type {Map<string, HTMLElement>} our own calls' status, by conversation */
    this.asked = new Map();
  }

  /** A tool under each conversation: "Ask for help". @param {(key: string) => boolean} ask @returns {Tool} */
  tool(ask) {
    const { t } = this.opts;
    return (c) => {
      const button = h('button', { type: 'button', className: 'c-button', 'data-pnav': 'ask-help' }, t('help.ask'));
      const status = h('p', { 'data-pnav': 'ask-help-status', role: 'status' });
      button.addEventListener('click', () => {
        if (!ask(c.key)) status.textContent = t('transferOffline');
      });
      this.asked.set(c.key, status);
      return h('div', { className: 'c-ask-help', 'data-pnav': 'ask-help-tool' }, button, status);
    };
  }

  /** A help frame from the desk. @param {Frame} f @param {string} key */
  take(f, key) {
    const { t, label } = this.opts;
    if (f.t === 'help_asked') {
      const status = this.asked.get(key);
      if (status) status.textContent = Number(f.helpers) > 0 ? t('help.asked') : t('help.nobody');
    } else if (f.t === 'help_answered') {
      this.calls.get(key)?.remove();
      this.calls.delete(key);
      this.section.hidden = this.calls.size === 0;
      const status = this.asked.get(key);
      if (status && typeof f.by === 'string') status.textContent = t('help.joined', { username: f.by });
    } else if (f.t === 'help_call' && !this.calls.has(key)) {
      const join = h('button', { type: 'button', className: 'c-button c-button--primary', 'data-pnav': 'help-join', 'data-conv': key }, t('help.join'));
      join.addEventListener('click', () => {
        join.disabled = true;
        this.opts.onJoin(/** @type {string | number} */ (f.conv));
      });
      const li = h('li', { className: 'c-help-request', 'data-pnav': 'help-request', 'data-conv': key, 'data-danger': f.danger === true ? 'true' : null },
        h('p', {}, f.danger === true && h('strong', { className: 'c-danger' }, t('danger')), ' ',
          t('help.request', { operator: String(f.operator ?? ''), who: label(`who.${f.who}`), what: label(`what.${f.what}`) })),
        join);
      this.calls.set(key, li);
      this.list.append(li);
      this.section.hidden = false;
      this.opts.onCall();
    }
  }

  /** @param {string} key the conversation went away from this console */
  forget(key) {
    this.asked.delete(key);
  }

  stop() {
    this.calls.clear();
    this.asked.clear();
    this.list.replaceChildren();
    this.section.hidden = true;
  }
}
