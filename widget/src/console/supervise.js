// For a supervisor observing a conversation: who holds it, "stop observing",
// and "take over" with a handover note (a transfer to themselves: the
// operator and the person are told). Hidden for the conversations one holds.
import { h } from '../shared/dom.js';

/**
 * @typedef {(key: string, vars?: Record<string, string | number>) => string} T
 * @typedef {import('./desk.js').Conversation} Conversation
 * @typedef {{el: HTMLElement, about: HTMLElement, note: HTMLTextAreaElement,
 *   send: HTMLButtonElement, status: HTMLElement, details: HTMLDetailsElement, pending: boolean}} Parts
 */

export class SuperviseView {
  /**
   * @param {{t: T, onLeave: (key: string) => void,
   *   onTakeOver: (key: string, note: string) => string | null}} opts
   *   onTakeOver returns an i18n key saying why nothing was sent, or null
   */
  constructor(opts) {
    this.opts = opts;
    /** @type {Map<string, Parts>} */
    this.parts = new Map();
  }

  /**
   * The supervision tool of one conversation panel (conversations.js, Tool).
   * @param {Conversation} c @param {string} id
   */
  build(c, id) {
    const { t } = this.opts;
    const about = h('p', { className: 'c-supervise__about', 'data-pnav': 'observing' });
    const leave = h('button', { type: 'button', className: 'c-button', 'data-pnav': 'leave' }, t('supervise.leave'));
    leave.addEventListener('click', () => this.opts.onLeave(c.key));
    const note = h('textarea', { id: `${id}-take-over-note`, className: 'c-input', rows: 3, 'data-pnav': 'take-over-note', required: true });
    const status = h('p', { className: 'c-transfer__status', 'data-pnav': 'take-over-status', role: 'status' });
    const send = h('button', { type: 'submit', className: 'c-button c-button--primary', 'data-pnav': 'take-over-send' }, t('supervise.takeOverSend'));
    const form = h('form', { className: 'c-transfer__form', noValidate: true },
      h('label', { htmlFor: note.id }, t('supervise.takeOverNote')), note, status, send);
    const details = h('details', { className: 'c-transfer', 'data-pnav': 'take-over' }, h('summary', {}, t('supervise.takeOver')), form);
    const el = h('div', { className: 'c-supervise', 'data-pnav': 'supervise', hidden: true }, about, leave, details);
    /** @type {Parts} */
    const p = { el, about, note, send, status, details, pending: false };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (send.disabled) return;
      const text = note.value.trim();
      if (!text) {
        this.say(p, t('supervise.takeOverMissing'), true);
        note.focus();
        return;
      }
      const problem = this.opts.onTakeOver(c.key, text);
      if (problem) {
        this.say(p, t(problem), true);
        return;
      }
      this.say(p, t('transferring'), false);
      p.pending = true;
      send.disabled = true;
    });
    this.parts.set(c.key, p);
    this.update(c);
    return el;
  }

  /** @param {Conversation} c */
  update(c) {
    const p = this.parts.get(c.key);
    if (!p) return;
    p.el.hidden = !c.observing;
    p.about.textContent = this.opts.t('supervise.observing', { operator: c.operator });
    if (!c.observing && p.pending) {
      // Taken over: the conversation is ours now.
      p.pending = false;
      p.send.disabled = false;
      p.note.value = '';
      p.details.open = false;
      this.say(p, '', false);
    }
  }

  /**
   * The server refused our take-over.
   * @param {string} key @param {string} text
   * @returns {boolean} whether a take-over of that conversation was on its way
   */
  transferFailed(key, text) {
    const p = this.parts.get(key);
    if (!p || !p.pending) return false;
    p.pending = false;
    p.send.disabled = false;
    this.say(p, text, true);
    return true;
  }

  /** @private @param {Parts} p @param {string} text @param {boolean} error */
  say(p, text, error) {
    p.status.textContent = text;
    p.status.dataset.error = String(error);
  }

  /** @param {string} key */
  forget(key) {
    this.parts.delete(key);
  }

  clear() {
    this.parts.clear();
  }
}
