// The waiting queue: danger first (the server already orders it so; the
// highlight makes it impossible to miss), with a waiting time that ticks and
// whether the person is still connected. It tells the floor's alerts
// (alerts.js) what arrived, and when a DANGER conversation has waited past the
// re-alert delay (again at each multiple of it, until someone takes it).
import { h, duration } from '../shared/dom.js';
import { convKey } from './desk.js';

/** @typedef {(key: string, vars?: Record<string, string | number>) => string} T */

export class QueueView {
  /**
   * @param {HTMLElement} list the <ul data-pnav="queue">
   * @param {HTMLElement} empty shown when nobody waits
   * @param {{t: T, label: T, onAccept: (conv: string | number) => void,
   *   onCloseAbuse?: (convs: Array<string | number>) => void,
   *   onArrivals?: (items: Array<Record<string, any>>, waiting: Array<Record<string, any>>) => void,
   *   onOverdue?: (overdue: Array<Record<string, any>>, fresh: Array<Record<string, any>>) => void,
   *   realertAfter?: number}} opts
   *   label translates "who.victim" / "what.domestic" style keys; onCloseAbuse: supervisors
   *   close the selected conversations as abuse; onArrivals: the items new since the last
   *   frame (none for the first whole queue), then all; onOverdue: the DANGER items waiting
   *   longer than realertAfter (ms), and those that just crossed a multiple of it
   */
  constructor(list, empty, opts) {
    this.list = list;
    this.empty = empty;
    this.opts = opts;
    /** @type {Map<string | undefined, {item: Record<string, any>, el: HTMLElement}>} */
    this.rows = new Map();
    /** @type {Array<Record<string, any>>} the waiting items in the queue's order */
    this.items = [];
    /** whether a queue was shown before (the first one brings no arrival alert) */
    this.shown = false;
    /** @type {Map<string, number>} DANGER items: how many re-alert periods already alerted */
    this.realerted = new Map();
    /** supervisors pick conversations to close as abuse (a flood of fakes) */
    this.selectable = false;
    this.tools = this.abuseTools();
    this.timer = setInterval(() => this.tick(), 1000);
  }

  /**
   * The whole queue (`queue` frame, when the console connects or reconnects).
   * @param {Array<Record<string, any>>} items
   */
  render(items) {
    const before = this.rows;
    this.rows = new Map();
    this.list.replaceChildren();
    const fresh = this.shown ? items.filter((i) => !before.has(convKey(i.conv))) : [];
    this.apply(items, [], fresh);
  }

  /**
   * What entered, changed or left the queue (`queue_change` frame): rows are added,
   * replaced and removed, not all redrawn, so an accept under way keeps its state.
   * @param {Array<Record<string, any>>} added
   * @param {Array<string | number>} removed
   */
  change(added, removed) {
    const gone = new Set(removed.map((conv) => convKey(conv)));
    // A changed item (its person came or went) is no arrival; one that left and came back is.
    const fresh = added.filter((i) => !this.rows.has(convKey(i.conv)) || gone.has(convKey(i.conv)));
    this.apply(added, removed, fresh);
  }

  /**
   * @private
   * @param {Array<Record<string, any>>} added
   * @param {Array<string | number>} removed
   * @param {Array<Record<string, any>>} fresh
   */
  apply(added, removed, fresh) {
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
    this.items = sorted.map((r) => r.item);
    for (const k of this.realerted.keys()) if (!this.rows.has(k)) this.realerted.delete(k);
    this.empty.hidden = this.rows.size > 0;
    this.shown = true;
    this.opts.onArrivals?.(fresh, this.items);
    this.overdue();
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
    typeof item.person === 'string' && h('span', { className: 'c-queue-item__person', 'data-pnav': 'queue-person', 'data-person': item.person }, t(`queuePerson.${item.person}`)),
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
    for (const [key, r] of this.rows) {
      const el = this.row(r.item);
      r.el.replaceWith(el);
      this.rows.set(key, { item: r.item, el });
    }
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

  /** Focus the queue: its first "Accept", or the list itself when nobody waits. */
  focus() {
    const first = /** @type {HTMLElement | null} */ (this.list.querySelector('[data-pnav="accept"]:not([disabled])'));
    (first ?? this.list).focus();
  }

  /** Accept the first conversation in the queue (danger first, then oldest). @returns {boolean} */
  takeNext() {
    const first = /** @type {HTMLButtonElement | null} */ (this.list.querySelector('[data-pnav="accept"]:not([disabled])'));
    if (!first) return false;
    first.click();
    return true;
  }

  /** @private DANGER items waiting past the re-alert delay; those that crossed a new multiple. */
  overdue() {
    const every = this.opts.realertAfter;
    if (!every || !this.opts.onOverdue) return;
    const now = Date.now();
    const overdue = [];
    const fresh = [];
    for (const item of this.items) {
      if (item.danger !== true || typeof item.waiting_since !== 'number') continue;
      const periods = Math.floor((now - item.waiting_since) / every);
      if (periods < 1) continue;
      overdue.push(item);
      const key = /** @type {string} */ (convKey(item.conv));
      if ((this.realerted.get(key) ?? 0) < periods) {
        this.realerted.set(key, periods);
        fresh.push(item);
      }
    }
    this.opts.onOverdue(overdue, fresh);
  }

  /** @private */
  tick() {
    const now = Date.now();
    for (const el of /** @type {NodeListOf<HTMLElement>} */ (this.list.querySelectorAll('[data-since]'))) {
      el.textContent = this.opts.t('waited', { time: duration(now - Number(el.dataset.since)) });
    }
    this.overdue();
  }

  stop() {
    clearInterval(this.timer);
    this.rows.clear();
    this.list.replaceChildren();
    this.items = [];
    this.shown = false;
    this.realerted.clear();
  }
}
