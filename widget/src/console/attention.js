// Supervisors only: conversations that need someone to act, e.g. "operator
// bob has been away since 14:05". Each item can be transferred to another
// operator with a handover note. The server sends the whole list each time;
// items are updated in place, so a note being typed survives an update.
import { h, clock } from '../shared/dom.js';
import { TransferForm } from './transfer.js';

/**
 * @typedef {(key: string, vars?: Record<string, string | number>) => string} T
 * @typedef {import('./desk.js').AttentionItem} AttentionItem
 */

export class AttentionView {
  /**
   * @param {HTMLElement} section the whole "needs attention" section, hidden for non-supervisors
   * @param {HTMLElement} list the <ul data-pnav="attention">
   * @param {HTMLElement} empty shown when nothing needs attention
   * @param {{t: T, label: T, lang: string, onTransfer: (key: string, to: string, note: string) => string | null}} opts
   *   label translates "who.victim" / "what.domestic" style keys
   */
  constructor(section, list, empty, opts) {
    this.section = section;
    this.list = list;
    this.empty = empty;
    this.opts = opts;
    /** @type {Map<string, {li: HTMLLIElement, text: HTMLElement, transfer: TransferForm}>} */
    this.items = new Map();
  }

  /** @param {boolean} on */
  show(on) {
    this.section.hidden = !on;
  }

  /** @param {AttentionItem[]} items */
  render(items) {
    const { t, label, lang } = this.opts;
    const keep = new Set(items.map((i) => i.key));
    for (const [key, part] of this.items) {
      if (!keep.has(key)) {
        part.li.remove();
        this.items.delete(key);
      }
    }
    for (const item of items) {
      let part = this.items.get(item.key);
      if (!part) {
        const id = `att-${item.key.replace(/[^A-Za-z0-9_-]/g, '_')}`;
        const text = h('p', { className: 'c-attention-item__text' });
        const about = h('p', { className: 'c-attention-item__about' },
          item.danger && h('strong', { className: 'c-danger' }, t('danger')),
          ` ${item.who ? label(`who.${item.who}`) : ''} · ${item.what ? label(`what.${item.what}`) : ''}`);
        const transfer = new TransferForm(t, id, (to, note) => this.opts.onTransfer(item.key, to, note));
        const li = h('li', { className: 'c-attention-item', 'data-pnav': 'attention-item', 'data-conv': item.key }, about, text, transfer.el);
        part = { li, text, transfer };
        this.items.set(item.key, part);
      }
      // In server order, appended again: moves it into place.
      this.list.append(part.li);
      part.li.dataset.operator = item.operator;
      part.li.dataset.reason = item.reason;
      const vars = { operator: item.operator, reason: item.reason, time: item.since ? clock(item.since, lang) : '?' };
      part.text.textContent = ['operator_away', 'operator_removed'].includes(item.reason) ? t(`attention.${item.reason}`, vars) : t('attention.other', vars);
    }
    this.empty.hidden = items.length > 0;
    // Anything to act on makes the section visible, whatever the role says.
    if (items.length > 0) this.show(true);
  }

  /**
   * The server refused a transfer of this item.
   * @param {string} key @param {string} text
   * @returns {boolean} whether this view had a pending transfer for it
   */
  transferFailed(key, text) {
    const part = this.items.get(key);
    if (!part || !part.transfer.pending) return false;
    part.transfer.fail(text);
    return true;
  }

  /** @param {string} key */
  remove(key) {
    this.items.get(key)?.li.remove();
    this.items.delete(key);
    this.empty.hidden = this.items.size > 0;
  }

  stop() {
    this.items.clear();
    this.list.replaceChildren();
    this.empty.hidden = false;
    this.show(false);
  }
}
