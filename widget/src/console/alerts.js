// Alerts on the floor: a new arrival, a DANGER arrival, a new message in a
// conversation that is not in front of the operator, and a DANGER conversation
// still waiting after the re-alert delay. Each gives a short sound made in the
// page (Web Audio: no file), a count in the tab title, a polite live-region
// announcement and, if the operator switched them on, a desktop notification
// that names no person and shows no content. Mute and the notification switch
// live in memory only: a new console session starts unmuted, nothing is stored.
import { h } from '../shared/dom.js';

/** @typedef {(key: string, vars?: Record<string, string | number>) => string} T */
/** @typedef {'arrival' | 'danger' | 'message' | 'realert'} AlertKind */

// Tones per kind: [frequency Hz, start s, length s]. DANGER is higher and repeated.
/** @type {Record<AlertKind, Array<[number, number, number]>>} */
const TONES = {
  arrival: [[660, 0, 0.12], [880, 0.14, 0.12]],
  message: [[740, 0, 0.1]],
  danger: [[988, 0, 0.14], [740, 0.16, 0.14], [988, 0.32, 0.14], [740, 0.48, 0.14]],
  realert: [[988, 0, 0.14], [740, 0.16, 0.14], [988, 0.32, 0.14], [740, 0.48, 0.14]],
};

export class Alerts {
  /**
   * @param {{t: T, announcer: HTMLElement, baseTitle: () => string}} opts
   *   announcer: an aria-live="polite" element; baseTitle: the page title without the count
   */
  constructor(opts) {
    this.opts = opts;
    this.muted = false;
    this.notify = false;
    /** @type {AudioContext | null} */
    this.audio = null;
    /** counts shown in the title: conversations waiting, unread messages by conversation */
    this.waiting = 0;
    /** @type {Map<string, number>} */
    this.unread = new Map();
    /** how many sounds this console played (the mute test reads the page's audio API instead) */
    this.played = 0;
    // Browsers only let a page make sound after a user gesture: the login click is one.
    this.unlock = () => {
      this.context()?.resume().catch(() => {});
    };
    document.addEventListener('pointerdown', this.unlock, true);
    document.addEventListener('keydown', this.unlock, true);
  }

  /** @private @returns {AudioContext | null} */
  context() {
    if (this.audio) return this.audio;
    const Ctx = window.AudioContext;
    if (!Ctx) return null;
    try {
      this.audio = new Ctx();
    } catch {
      return null;
    }
    return this.audio;
  }

  /**
   * Say it every way the operator allows.
   * @param {AlertKind} kind @param {string} text what the live region says (no content, no name)
   */
  alert(kind, text) {
    this.announce(text);
    if (!this.muted) this.sound(kind);
    if (this.notify && typeof Notification === 'function' && Notification.permission === 'granted'
      && (document.hidden || !document.hasFocus())) {
      try {
        // The same words as the announcement: a kind of event, never who or what.
        new Notification(this.opts.t('alert.notificationTitle'), { body: text, tag: `pnav-${kind}`, silent: true });
      } catch {
        // notifications refused by the system: the sound and title still say it
      }
    }
  }

  /** @param {string} text */
  announce(text) {
    const el = this.opts.announcer;
    // The same sentence twice in a row is announced again: clear, then set on the next frame.
    el.textContent = '';
    requestAnimationFrame(() => {
      el.textContent = text;
    });
  }

  /** @private @param {AlertKind} kind */
  sound(kind) {
    const ctx = this.context();
    if (!ctx) return;
    if (ctx.state === 'suspended') ctx.resume().catch(() => {});
    const now = ctx.currentTime;
    for (const [freq, start, length] of TONES[kind]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      // A short envelope: no click at the start or the end of each tone.
      gain.gain.setValueAtTime(0.0001, now + start);
      gain.gain.exponentialRampToValueAtTime(0.3, now + start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + start + length);
      osc.connect(gain).connect(ctx.destination);
      osc.start(now + start);
      osc.stop(now + start + length + 0.02);
    }
    this.played += 1;
  }

  /** @param {boolean} on */
  setMuted(on) {
    this.muted = on;
  }

  /**
   * Ask the browser for permission (only from the operator's click on the
   * settings control, never on its own). @returns {Promise<boolean>} on
   */
  async enableNotifications() {
    if (typeof Notification !== 'function') return false;
    const answer = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
    this.notify = answer === 'granted';
    return this.notify;
  }

  disableNotifications() {
    this.notify = false;
  }

  /** @param {number} n conversations waiting in the queue */
  setWaiting(n) {
    this.waiting = n;
    this.title();
  }

  /** @param {string} key @param {number} n unread messages in a background conversation */
  setUnread(key, n) {
    if (n > 0) this.unread.set(key, n);
    else this.unread.delete(key);
    this.title();
  }

  /** The tab title: "(3) …" while anything waits for this operator. */
  title() {
    let n = this.waiting;
    for (const v of this.unread.values()) n += v;
    const base = this.opts.baseTitle();
    document.title = n > 0 ? `(${n}) ${base}` : base;
  }

  stop() {
    document.removeEventListener('pointerdown', this.unlock, true);
    document.removeEventListener('keydown', this.unlock, true);
    this.waiting = 0;
    this.unread.clear();
    this.title();
    this.audio?.close().catch(() => {});
    this.audio = null;
  }
}

/**
 * The floor's settings for one console: mute, desktop notifications, language.
 * @param {{t: T, alerts: Alerts, lang: string, langs: string[], onLang: (lang: string) => void}} opts
 */
export function alertSettings(opts) {
  const { t, alerts } = opts;
  const mute = h('button', { type: 'button', className: 'c-button', 'data-pnav': 'mute', 'aria-pressed': 'false' }, t('alert.mute'));
  mute.addEventListener('click', () => {
    const on = mute.getAttribute('aria-pressed') !== 'true';
    alerts.setMuted(on);
    mute.setAttribute('aria-pressed', String(on));
  });
  const notify = h('button', { type: 'button', className: 'c-button', 'data-pnav': 'notifications', 'aria-pressed': 'false' }, t('alert.notifications'));
  const status = h('p', { className: 'c-settings__status', 'data-pnav': 'settings-status', role: 'status' });
  notify.addEventListener('click', async () => {
    if (notify.getAttribute('aria-pressed') === 'true') {
      alerts.disableNotifications();
      notify.setAttribute('aria-pressed', 'false');
      return;
    }
    const on = await alerts.enableNotifications();
    notify.setAttribute('aria-pressed', String(on));
    status.textContent = on ? '' : t('alert.notificationsRefused');
  });
  const select = h('select', { id: 'console-lang', 'data-pnav': 'console-lang' },
    ...opts.langs.map((l) => h('option', { value: l, selected: l === opts.lang, lang: l }, t(`langName.${l}`))));
  select.addEventListener('change', () => opts.onLang(select.value));
  const el = h('div', { className: 'c-settings', 'data-pnav': 'settings' },
    mute, notify,
    h('span', { className: 'c-settings__lang' }, h('label', { htmlFor: select.id }, t('settings.lang')), select),
    status);
  return el;
}
