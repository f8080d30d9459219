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
   *   onArrivals?: (items: Array<Record<string, any>>, waiting: Array<Record<string, any>>) => void,
   *   onOverdue?: (overdue: Array<Record<string, any>>, fresh: Array<Record<string, any>>) => void,
   *   realertAfter?: number}} opts
   *   label translates "who.victim" / "what.domestic" style keys; onArrivals: the items
   *   new since the last frame (none for the first), then all; onOverdue: the DANGER
   *   items waiting longer than realertAfter (ms), and those that just crossed a multiple of it
   */
  constructor(list, empty, opts) {
    this.list = list;
    this.empty = empty;
    this.opts = opts;
    /** @type {Array<Record<string, any>>} */
    this.items = [];
    /** @type {Set<string> | null} keys of the last frame (null: none yet) */
    this.seen = null;
    /** @type {Map<string, number>} DANGER items: how many re-alert periods already alerted */
    this.realerted = new Map();
    this.timer = setInterval(() => this.tick(), 1000);
  }

  /** @param {Array<Record<string, any>>} items */
  render(items) {
    const { t, label } = this.opts;
    const keys = new Set(items.map((i) => /** @type {string} */ (convKey(i.conv))));
    const fresh = this.seen === null ? [] : items.filter((i) => !this.seen?.has(/** @type {string} */ (convKey(i.conv))));
    this.seen = keys;
    this.items = items;
    for (const k of this.realerted.keys()) if (!keys.has(k)) this.realerted.delete(k);
    this.list.replaceChildren(...items.map((item) => {
      const since = typeof item.waiting_since === 'number' ? item.waiting_since : Date.now();
      const accept = h('button', { type: 'button', className: 'c-button c-button--primary', 'data-pnav': 'accept', 'data-conv': convKey(item.conv) }, t('accept'));
      accept.addEventListener('click', () => {
        accept.disabled = true;
        this.opts.onAccept(item.conv);
      });
      return h('li', {
        className: item.danger === true ? 'c-queue-item c-queue-item--danger' : 'c-queue-item',
        'data-pnav': 'queue-item', 'data-conv': convKey(item.conv), 'data-danger': item.danger === true ? 'true' : null,
      },
      item.danger === true && h('strong', { className: 'c-danger', 'data-pnav': 'danger' }, t('danger')),
      h('span', { className: 'c-queue-item__who' }, label(`who.${item.who}`)),
      h('span', { className: 'c-queue-item__what' }, label(`what.${item.what}`)),
      h('span', { className: 'c-lang', lang: String(item.lang ?? '') }, String(item.lang ?? '').toUpperCase()),
      h('span', { className: 'c-queue-item__time', 'data-pnav': 'waiting', 'data-since': String(since) }, t('waited', { time: duration(Date.now() - since) })),
      typeof item.person === 'string' && h('span', { className: 'c-queue-item__person', 'data-pnav': 'queue-person', 'data-person': item.person }, t(`queuePerson.${item.person}`)),
      accept);
    }));
    this.empty.hidden = items.length > 0;
    this.opts.onArrivals?.(fresh, items);
    this.overdue();
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
    this.list.replaceChildren();
    this.items = [];
    this.seen = null;
    this.realerted.clear();
  }
}
