// The transfer control: a disclosure with the target username and the
// required handover note. Used in each conversation panel and, for
// supervisors, in each "needs attention" item. What is typed stays if the
// server refuses the transfer; the whole control goes away once it is done.
import { h } from '../shared/dom.js';

/** @typedef {(key: string, vars?: Record<string, string | number>) => string} T */

export class TransferForm {
  /**
   * @param {T} t
   * @param {string} id unique prefix for element ids
   * @param {(to: string, note: string) => string | null} onTransfer returns an
   *   i18n key saying why nothing was sent, or null when the transfer went out
   */
  constructor(t, id, onTransfer) {
    this.t = t;
    /** a transfer went out and its answer has not come */
    this.pending = false;
    this.to = h('input', {
      id: `${id}-transfer-to`, name: 'to', 'data-pnav': 'transfer-to', autocomplete: 'off',
      autocapitalize: 'none', spellcheck: false, required: true,
    });
    this.note = h('textarea', { id: `${id}-transfer-note`, name: 'note', className: 'c-input', rows: 3, 'data-pnav': 'transfer-note', required: true });
    this.button = h('button', { type: 'submit', className: 'c-button', 'data-pnav': 'transfer-send' }, t('transferSend'));
    this.status = h('p', { className: 'c-transfer__status', 'data-pnav': 'transfer-status', role: 'status' });
    const form = h('form', { className: 'c-transfer__form', noValidate: true },
      h('label', { htmlFor: this.to.id }, t('transferTo')), this.to,
      h('label', { htmlFor: this.note.id }, t('transferNote')), this.note,
      this.status, this.button);
    this.el = h('details', { className: 'c-transfer', 'data-pnav': 'transfer' }, h('summary', {}, t('transfer')), form);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (this.button.disabled) return;
      const to = this.to.value.trim();
      const note = this.note.value.trim();
      if (!to || !note) {
        this.say(t('transferMissing'), true);
        (to ? this.note : this.to).focus();
        return;
      }
      const problem = onTransfer(to, note);
      if (problem) {
        this.say(t(problem), true);
        return;
      }
      this.say(t('transferring'), false);
      this.pending = true;
      this.setBusy(true);
    });
  }

  /** @param {string} text @param {boolean} error */
  say(text, error) {
    this.status.textContent = text;
    this.status.dataset.error = String(error);
  }

  /** @param {boolean} busy */
  setBusy(busy) {
    for (const el of [this.to, this.note, this.button]) el.disabled = busy;
  }

  /** The server refused the transfer: say why, keep what was typed. @param {string} text */
  fail(text) {
    this.pending = false;
    this.setBusy(false);
    this.say(text, true);
  }

  /** Nothing may be typed any more (a closed conversation). */
  disable() {
    this.pending = false;
    this.setBusy(true);
    this.el.open = false;
  }
}
