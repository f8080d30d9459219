// Carry words from what the person wrote into the casework forms: select them
// in one of the person's messages (or their translation), then press "Address",
// "Town", "Postal code" or "Phone": the words go into that field of the open
// emergency or report form (the emergency form when none is open), never
// retyped. Dragging a selection onto a field works too (the browser does it).
// Nothing leaves the page: the words only move from one element to another.
import { h } from '../shared/dom.js';

/** @typedef {import('./conversations.js').Tool} Tool */
/** @typedef {(key: string, vars?: Record<string, string | number>) => string} T */

// button → the field of each form it fills (data-pnav of the input)
const TARGETS = /** @type {const} */ ([
  ['address', 'carry.address', { emergency: 'emergency-address', report: 'report-address' }],
  ['city', 'carry.city', { emergency: 'emergency-city', report: 'report-city' }],
  ['postal_code', 'carry.postalCode', { emergency: 'emergency-postal-code', report: 'report-postal-code' }],
  ['phone', 'carry.phone', { emergency: 'emergency-callback', report: 'report-contact' }],
]);

/** The most words carried at once: a selection, not a whole conversation. */
export const MAX_CARRY = 300;

/** @param {{t: T}} ctx @returns {Tool} */
export function carryTool(ctx) {
  return (c, id) => new Carry(ctx.t, `${id}-carry`).el;
}

class Carry {
  /** @param {T} t @param {string} id */
  constructor(t, id) {
    this.t = t;
    this.text = '';
    this.status = h('p', { className: 'c-carry__status', 'data-pnav': 'carry-status', role: 'status' });
    this.buttons = TARGETS.map(([name, label, fields]) => {
      const b = h('button', { type: 'button', className: 'c-button', 'data-pnav': `carry-${name}`, disabled: true }, t(label));
      b.addEventListener('click', () => this.put(fields));
      return b;
    });
    this.el = h('section', { className: 'c-carry', 'data-pnav': 'carry', 'aria-labelledby': `${id}-title` },
      h('h3', { id: `${id}-title`, className: 'c-carry__title' }, t('carry.title')),
      h('p', { className: 'c-carry__hint' }, t('carry.hint')),
      h('div', { className: 'c-carry__buttons' }, ...this.buttons),
      this.status);
    this.onSelection = () => this.take();
    document.addEventListener('selectionchange', this.onSelection);
  }

  /** @private the panel this tool sits in (once it is in the page) */
  panel() {
    return /** @type {HTMLElement | null} */ (this.el.closest('[data-pnav="conversation"]'));
  }

  /** @private remember a selection made inside one of the person's messages of this panel */
  take() {
    const panel = this.panel();
    if (!panel) {
      if (!this.el.isConnected) document.removeEventListener('selectionchange', this.onSelection);
      return;
    }
    const sel = document.getSelection();
    if (!sel || sel.isCollapsed || sel.rangeCount === 0) return;
    const node = sel.getRangeAt(0).commonAncestorContainer;
    const el = node instanceof Element ? node : node.parentElement;
    const message = el?.closest('[data-pnav="message"][data-from="person"]');
    if (!message || !panel.contains(message)) return;
    const text = sel.toString().replace(/\s+/g, ' ').trim().slice(0, MAX_CARRY);
    if (!text) return;
    this.text = text;
    for (const b of this.buttons) b.disabled = panel.dataset.state === 'closed';
    this.status.textContent = this.t('carry.selected', { text });
  }

  /** @private @param {{emergency: string, report: string}} fields */
  put(fields) {
    const panel = this.panel();
    if (!panel || !this.text) return;
    const forms = ['emergency', 'report'].map((k) => /** @type {HTMLDetailsElement | null} */ (panel.querySelector(`[data-pnav="${k}"]`)));
    let open = forms.filter((f) => f && f.open);
    if (open.length === 0 && forms[0]) {
      forms[0].open = true;
      open = [forms[0]];
    }
    let filled = null;
    for (const form of open) {
      const kind = /** @type {'emergency' | 'report'} */ (form?.dataset.pnav);
      const input = /** @type {HTMLInputElement | null} */ (form?.querySelector(`[data-pnav="${fields[kind]}"]`));
      if (!input || input.disabled) continue;
      input.value = input.value.trim() ? `${input.value.trim()} ${this.text}` : this.text;
      // The form reacts as if typed (the competent service is looked up for a postal code).
      input.dispatchEvent(new Event('input', { bubbles: true }));
      filled = filled ?? input;
    }
    if (filled) {
      filled.focus();
      this.status.textContent = this.t('carry.done');
    } else {
      this.status.textContent = this.t('carry.noField');
    }
  }
}
