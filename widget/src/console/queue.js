// The waiting queue: danger first (the server already orders it so; the
// highlight makes it impossible to miss), with a waiting time that ticks.
import { h, duration } from '../shared/dom.js';
import { convKey } from './desk.js';

/** @typedef {(key: string, vars?: Record<string, string | number>) => string} T */

export class QueueView {
  /**
   * @param {HTMLElement} list the <ul data-pnav="queue">
   * @param {HTMLElement} empty shown when nobody waits
   * @param {{t: T, label: T, onAccept: (conv: string | number) => void}} opts
   *   label translates "who.victim" / "what.domestic" style keys
   */
  constructor(list, empty, opts) {
    this.list = list;
    this.empty = empty;
    this.opts = opts;
    this.timer = setInterval(() => this.tick(), 1000);
  }

  /** @param {Array<Record<string, any>>} items */
  render(items) {
    const { t, label } = this.opts;
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
      accept);
    }));
    this.empty.hidden = items.length > 0;
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
    this.list.replaceChildren();
  }
}
