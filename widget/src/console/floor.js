// Supervisors only: the floor (docs/protocol.md, `floor`). The queue in
// numbers; each operator with their presence, load, capacity (settable) and
// danger flags; each conversation they hold with how long the person's last
// message has waited, and a "join" button. Counts and metadata only: the
// server sends no text. Operator rows are updated in place, so a capacity
// being typed survives an update.
import { h, clock, duration } from '../shared/dom.js';

const MAX_CAPACITY = 99;

/**
 * @typedef {(key: string, vars?: Record<string, string | number>) => string} T
 * @typedef {{li: HTMLLIElement, head: HTMLElement, load: HTMLElement, capacity: HTMLInputElement,
 *   status: HTMLElement, list: HTMLUListElement}} Row
 */

export class FloorView {
  /**
   * @param {HTMLElement} section the whole floor section, hidden for non-supervisors
   * @param {HTMLElement} queue the queue summary line
   * @param {HTMLElement} list the <ul> of operators
   * @param {{t: T, label: T, lang: string, me: () => string,
   *   observing: (conv: string) => boolean, onJoin: (conv: string | number) => void,
   *   onCapacity: (username: string, capacity: number | null) => boolean}} opts
   *   observing: whether this console observes (or holds) the conversation
   */
  constructor(section, queue, list, opts) {
    this.section = section;
    this.queue = queue;
    this.list = list;
    this.opts = opts;
    /** @type {Map<string, Row>} */
    this.rows = new Map();
    /** @type {Record<string, any> | null} */
    this.last = null;
    this.timer = setInterval(() => this.tick(), 1000);
  }

  /** @param {boolean} on */
  show(on) {
    this.section.hidden = !on;
  }

  /** @param {Record<string, any>} floor */
  render(floor) {
    this.last = floor;
    this.show(true);
    const q = floor.queue ?? {};
    this.queue.dataset.count = String(typeof q.count === 'number' ? q.count : 0);
    this.queue.dataset.danger = String(q.danger ?? 0);
    this.queue.textContent = this.queueLine(q, Date.now());
    const operators = Array.isArray(floor.operators) ? floor.operators : [];
    const keep = new Set(operators.map((o) => String(o.username)));
    for (const [name, row] of this.rows) {
      if (!keep.has(name)) {
        row.li.remove();
        this.rows.delete(name);
      }
    }
    for (const op of operators) {
      const name = String(op.username);
      const row = this.rows.get(name) ?? this.row(name);
      this.list.append(row.li); // in server order
      this.fill(row, op, floor.default_capacity ?? null);
    }
  }

  /** @private @param {string} name @returns {Row} */
  row(name) {
    const { t } = this.opts;
    const id = `floor-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const head = h('p', { className: 'c-floor-op__head' });
    const load = h('p', { className: 'c-floor-op__load', 'data-pnav': 'floor-load' });
    const capacity = h('input', { id: `${id}-capacity`, type: 'number', min: 1, max: MAX_CAPACITY, step: 1, className: 'c-floor-op__capacity', 'data-pnav': 'capacity-input' });
    const set = h('button', { type: 'submit', className: 'c-button', 'data-pnav': 'capacity-set' }, t('floor.capacitySet'));
    const reset = h('button', { type: 'button', className: 'c-button', 'data-pnav': 'capacity-default' }, t('floor.capacityDefault'));
    const status = h('p', { className: 'c-transfer__status', 'data-pnav': 'capacity-status', role: 'status' });
    const form = h('form', { className: 'c-floor-op__form', noValidate: true },
      h('label', { htmlFor: capacity.id }, t('floor.capacity')), capacity, set, reset, status);
    const list = h('ul', { className: 'c-floor-op__conversations' });
    const li = h('li', { className: 'c-floor-op', 'data-pnav': 'floor-operator', 'data-username': name }, head, load, list, form);
    /** @type {Row} */
    const row = { li, head, load, capacity, status, list };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const n = Number(capacity.value);
      if (!Number.isInteger(n) || n < 1 || n > MAX_CAPACITY) {
        status.textContent = t('floor.capacityBad');
        status.dataset.error = 'true';
        return;
      }
      this.capacity(row, name, n);
    });
    reset.addEventListener('click', () => this.capacity(row, name, null));
    this.rows.set(name, row);
    return row;
  }

  /** @private @param {Row} row @param {string} name @param {number | null} n */
  capacity(row, name, n) {
    const sent = this.opts.onCapacity(name, n);
    row.status.textContent = sent ? '' : this.opts.t('transferOffline');
    row.status.dataset.error = String(!sent);
    if (sent) row.capacity.blur();
  }

  /** @private @param {Row} row @param {Record<string, any>} op @param {number | null} fallback */
  fill(row, op, fallback) {
    const { t, label, lang } = this.opts;
    const conversations = Array.isArray(op.conversations) ? op.conversations : [];
    row.li.dataset.connected = String(op.connected === true);
    row.li.dataset.atCapacity = String(op.at_capacity === true);
    row.li.dataset.danger = String(op.danger ?? 0);
    row.head.replaceChildren(
      h('strong', {}, String(op.username)),
      ` · ${op.role === 'supervisor' ? t('floor.supervisor') : t('operator')} · `,
      h('span', { 'data-pnav': 'floor-presence' }, op.removed ? t('floor.removed') : t(op.connected ? 'floor.connected' : 'floor.away')));
    const limit = typeof op.limit === 'number' ? op.limit : null;
    const active = Number(op.active ?? 0);
    row.load.replaceChildren(
      limit === null ? t('floor.loadNoLimit', { active }) : t('floor.load', { active, limit }),
      op.at_capacity === true ? h('strong', { className: 'c-floor-op__full', 'data-pnav': 'at-capacity' }, ` ${t('floor.atCapacity')}`) : '',
      op.danger ? h('strong', { className: 'c-danger' }, ` ${t('floor.danger', { count: op.danger })}`) : '',
      op.duress ? h('strong', {}, ` ${t('floor.duress', { count: op.duress })}`) : '');
    if (document.activeElement !== row.capacity) {
      row.capacity.value = typeof op.capacity === 'number' ? String(op.capacity) : '';
      row.capacity.placeholder = fallback === null ? '' : String(fallback);
    }
    row.list.replaceChildren(...conversations.map((/** @type {Record<string, any>} */ c) => {
      const key = String(c.conv);
      // Our own conversations have no join button; observed ones say so.
      const watching = this.opts.observing(key);
      const join = op.username !== this.opts.me() && h('button', {
        type: 'button', className: 'c-button', 'data-pnav': 'join', 'data-conv': key, disabled: watching,
      }, watching ? t('floor.observing') : t('floor.join'));
      if (join) {
        join.addEventListener('click', () => {
          join.disabled = true;
          this.opts.onJoin(c.conv);
        });
      }
      const observers = Array.isArray(c.observers) ? c.observers.filter((/** @type {unknown} */ u) => typeof u === 'string') : [];
      return h('li', {
        className: c.danger ? 'c-floor-conv c-floor-conv--danger' : 'c-floor-conv',
        'data-pnav': 'floor-conversation', 'data-conv': key, 'data-danger': c.danger ? 'true' : null,
      },
      c.danger && h('strong', { className: 'c-danger' }, t('danger')),
      c.duress && h('strong', {}, t('duressOn')),
      h('span', {}, `${label(`who.${c.who}`)} · ${label(`what.${c.what}`)} · ${String(c.lang ?? '').toUpperCase()}`),
      typeof c.since === 'number' && h('span', { className: 'c-floor-conv__time' }, t('floor.since', { time: clock(c.since, lang) })),
      typeof c.unanswered_since === 'number' && h('span', { className: 'c-floor-conv__time', 'data-pnav': 'unanswered', 'data-since': String(c.unanswered_since) },
        t('floor.unanswered', { time: duration(Date.now() - c.unanswered_since) })),
      observers.length > 0 && h('span', { className: 'c-floor-conv__time' }, t('floor.observedBy', { names: observers.join(', ') })),
      join);
    }));
  }

  /** Something changed on this console (joined, left): redraw the buttons. */
  refresh() {
    if (this.last) this.render(this.last);
  }

  /** @private */
  tick() {
    const now = Date.now();
    for (const el of /** @type {NodeListOf<HTMLElement>} */ (this.list.querySelectorAll('[data-pnav="unanswered"]'))) {
      el.textContent = this.opts.t('floor.unanswered', { time: duration(now - Number(el.dataset.since)) });
    }
    if (this.last && this.last.queue?.count > 0) this.queue.textContent = this.queueLine(this.last.queue, now);
  }

  /** The queue in numbers. @private @param {Record<string, any>} q the floor's `queue` @param {number} now */
  queueLine(q, now) {
    const count = typeof q.count === 'number' ? q.count : 0;
    return count === 0 ? this.opts.t('emptyQueue')
      : this.opts.t('floor.queue', { count, danger: q.danger ?? 0, time: duration(now - (q.oldest ?? now)) });
  }

  stop() {
    clearInterval(this.timer);
    this.rows.clear();
    this.last = null;
    this.list.replaceChildren();
    this.queue.textContent = '';
    this.show(false);
  }
}
