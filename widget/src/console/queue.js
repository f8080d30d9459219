// The waiting queue: danger first (the server already orders it so; the
// highlight makes it impossible to miss), with a waiting time that ticks.
import { h, duration } from '../shared/dom.js';
import { convKey } from './desk.js';

/** @typedef {(key: string, vars?: Record<string, string | number>) => string} T */

export class QueueView {
  /**
   * @param {HTMLElement} list the <ul data-pnav="queue">
   * @param {HTMLElement} empty shown when nobody waits
   * @param {{t: T, label: T, onAccept: (conv: string | number) => void, onCloseAbuse?: (convs: Array<string | number>) => void}} opts
   *   onCloseAbuse: supervisors close the selected conversations as abuse
   *   label translates "who.victim" / "what.domestic" style keys
   */
  constructor(list, empty, opts) {
    this.list = list;
    this.empty = empty;
    this.opts = opts;
    /** @type {Map<string | undefined, {item: Record<string, any>, el: HTMLElement}>} */
    this.rows = new Map();
    /** supervisors pick conversations to close as abuse (a flood of fakes) */
    this.selectable = false;
    this.tools = this.abuseTools();
    this.timer = setInterval(() => this.tick(), 1000);
  }

  /**
   * The whole queue (`queue` frame, when the console connects).
   * @param {Array<Record<string, any>>} items
   */
  render(items) {
    this.rows = new Map();
    this.list.replaceChildren();
    this.change(items, []);
  }

  /**
   * What entered and left the queue (`queue_change` frame): rows are added and
   * removed, never redrawn, so an accept under way keeps its state.
   * @param {Array<Record<string, any>>} added
   * @param {Array<string | number>} removed
   */
  change(added, removed) {
    for (const conv of removed) {
      const key = convKey(conv);
      this.rows.get(key)?.el.remove();
      this.rows.delete(key);
    }
    for (const item of added) {
      const key = convKey(item.conv);
      this.rows.get(key)?.el.remove();
      this.rows.set(key, { item, el: this.row(item) });
    }
    // Danger first, then the longest waiting: the server's order.
    const sorted = [...this.rows.values()].sort((a, b) => (Number(b.item.danger === true) - Number(a.item.danger === true))
      || (Number(a.item.waiting_since) - Number(b.item.waiting_since)));
    this.list.append(...sorted.map((r) => r.el));
    this.empty.hidden = this.rows.size > 0;
  }

  /** @private @param {Record<string, any>} item */
  row(item) {
    const { t, label } = this.opts;
    const since = typeof item.waiting_since === 'number' ? item.waiting_since : Date.now();
    const accept = h('button', { type: 'button', className: 'c-button c-button--primary', 'data-pnav': 'accept', 'data-conv': convKey(item.conv) }, t('accept'));
    accept.addEventListener('click', () => {
      accept.disabled = true;
      this.opts.onAccept(item.conv);
    });
    const select = this.selectable && h('input', {
      type: 'checkbox', 'data-pnav': 'queue-select', 'data-conv': convKey(item.conv), 'aria-label': t('selectForAbuse'),
    });
    return h('li', {
      className: item.danger === true ? 'c-queue-item c-queue-item--danger' : 'c-queue-item',
      'data-pnav': 'queue-item', 'data-conv': convKey(item.conv), 'data-danger': item.danger === true ? 'true' : null,
    },
    select,
    item.danger === true && h('strong', { className: 'c-danger', 'data-pnav': 'danger' }, t('danger')),
    h('span', { className: 'c-queue-item__who' }, label(`who.${item.who}`)),
    h('span', { className: 'c-queue-item__what' }, label(`what.${item.what}`)),
    h('span', { className: 'c-lang', lang: String(item.lang ?? '') }, String(item.lang ?? '').toUpperCase()),
    h('span', { className: 'c-queue-item__time', 'data-pnav': 'waiting', 'data-since': String(since) }, t('waited', { time: duration(Date.now() - since) })),
    accept);
  }

  /**
   * Supervisors: a check box on every row, "select all" and "close selected as
   * abuse" above the list.
   * @param {boolean} on
   */
  allowAbuseClose(on) {
    if (this.selectable === on) return;
    this.selectable = on;
    this.tools.hidden = !on;
    const items = [...this.rows.values()].map((r) => r.item);
    this.render(items);
  }

  /** @private */
  abuseTools() {
    const { t } = this.opts;
    const all = h('button', { type: 'button', className: 'c-button', 'data-pnav': 'queue-select-all' }, t('selectAll'));
    const close = h('button', { type: 'button', className: 'c-button c-button--danger', 'data-pnav': 'close-abuse' }, t('closeAsAbuse'));
    all.addEventListener('click', () => {
      const boxes = this.checkboxes();
      const every = boxes.every((b) => b.checked);
      for (const b of boxes) b.checked = !every;
    });
    close.addEventListener('click', () => {
      const convs = this.checkboxes().filter((b) => b.checked).map((b) => this.rows.get(b.dataset.conv)?.item.conv)
        .filter((c) => c !== undefined);
      if (convs.length === 0 || !confirm(t('closeAsAbuseConfirm', { count: convs.length }))) return;
      this.opts.onCloseAbuse?.(convs);
    });
    const tools = h('div', { className: 'c-queue-tools', 'data-pnav': 'queue-abuse-tools' }, all, close);
    tools.hidden = true;
    this.list.before(tools);
    return tools;
  }

  /** @private @returns {HTMLInputElement[]} */
  checkboxes() {
    return [...this.list.querySelectorAll('input[data-pnav="queue-select"]')].map((b) => /** @type {HTMLInputElement} */ (b));
  }

  /** @private */
  tick() {
    const now = Date.now();
    for (const el of /** @type {NodeListOf<HTMLElement>} */ (this.list.querySelectorAll('[data-since]'))) {
      el.textContent = this.opts.t('waited', { time: duration(now - Number(el.dataset.since)) });
    }
  }

  stop() {
    clearInterval(this.timer);
    this.rows.clear();
    this.list.replaceChildren();
  }
}
