// Supervisors only: the floor's alarms, when help cannot reach help
// (docs/operations.md, "Alarms"; docs/protocol.md, `alarm`). An emergency
// dispatch or a report that failed after its retries, the translator down,
// nobody on duty while people wait, a DANGER conversation unanswered past its
// limit. The server sends one `alarm` frame per change (several server
// processes may each send theirs: the latest word per alarm wins), and the
// alarms that are up when a supervisor connects.
//
// Self-contained: give it a section (hidden while no alarm is up), a list and a
// live region; nothing else of the console is needed, so the layout may place
// it anywhere. Each alarm says what happened and what to do.
import { h, clock } from '../shared/dom.js';

/** The alarms the server raises, in the order they are shown (gravest first). */
export const ALARMS = /** @type {const} */ ([
  'danger_unanswered',
  'dispatch_failed',
  'no_operator',
  'report_failed',
  'translator_down',
]);

/**
 * @typedef {(key: string, vars?: Record<string, string | number>) => string} T
 * @typedef {{alarm: string, count: number, since: number}} Alarm
 */

/**
 * An `alarm` frame's alarm, or null when malformed or of an unknown kind.
 * @param {Record<string, any>} f
 * @returns {{alarm: string, on: boolean, count: number, since: number} | null}
 */
export function readAlarm(f) {
  if (!ALARMS.includes(f.alarm) || typeof f.on !== 'boolean') return null;
  const count = Number.isInteger(f.count) && f.count > 0 ? f.count : 1;
  const since = typeof f.since === 'number' ? f.since : Date.now();
  return { alarm: f.alarm, on: f.on, count, since };
}

export class AlarmsView {
  /**
   * @param {HTMLElement} section the whole section, hidden while no alarm is up
   * @param {HTMLElement} list the <ul> of alarms
   * @param {HTMLElement} live a live region (role="alert") where a new alarm is said once
   * @param {{t: T, lang: string}} opts
   */
  constructor(section, list, live, opts) {
    this.section = section;
    this.list = list;
    this.live = live;
    this.opts = opts;
    /** @type {Map<string, Alarm>} */
    this.up = new Map();
  }

  /** An `alarm` frame came. @param {Record<string, any>} frame */
  take(frame) {
    const a = readAlarm(frame);
    if (!a) return;
    const was = this.up.get(a.alarm);
    if (a.on) this.up.set(a.alarm, { alarm: a.alarm, count: a.count, since: a.since });
    else this.up.delete(a.alarm);
    this.render();
    // Said once when raised (not at each count change, not when cleared).
    if (a.on && !was) this.live.textContent = this.text(this.up.get(a.alarm));
  }

  /** The connection dropped: the server says again what is up when it comes back. */
  reset() {
    this.up.clear();
    this.live.textContent = '';
    this.render();
  }

  /** @param {Alarm | undefined} a */
  text(a) {
    if (!a) return '';
    const { t, lang } = this.opts;
    return t(`alarm.${a.alarm}`, { count: a.count, time: clock(a.since, lang) });
  }

  render() {
    const { t } = this.opts;
    this.list.replaceChildren(
      ...ALARMS.filter((kind) => this.up.has(kind)).map((kind) => {
        const a = /** @type {Alarm} */ (this.up.get(kind));
        return h('li', { className: 'c-alarm', 'data-pnav': 'alarm', 'data-alarm': kind, 'data-count': a.count },
          h('p', { className: 'c-alarm__text' }, this.text(a)),
          h('p', { className: 'c-alarm__action' }, t(`alarm.${kind}.action`)));
      }),
    );
    this.section.hidden = this.up.size === 0;
    this.section.dataset.count = String(this.up.size);
  }
}
