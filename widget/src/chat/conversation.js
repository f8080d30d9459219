// The conversation view: status line, message list, compose box.
// Message text is only ever set through text nodes (never innerHTML).
import { h } from '../shared/dom.js';
import { cardLines, phoneHref, webHref } from '../shared/card.js';

const MAX_CHARS = 5000;

/** @typedef {(key: string, vars?: Record<string, string | number>) => string} T */

/**
 * @typedef {object} ViewEvents
 * @property {(text: string) => string | null} onSend returns the client id, or
 *   null when the message could not be queued (too large)
 * @property {(url: string) => void} onOpenSite the person chose to open a
 *   referral card's web site (the loader opens it, in a tab quick exit closes)
 */

export class ConversationView {
  /**
   * @param {T} t
   * @param {ViewEvents} on
   */
  constructor(t, on) {
    this.t = t;
    this.on = on;
    /** @type {Map<string, HTMLElement>} client id → own message element */
    this.own = new Map();
    this.status = h('p', { className: 'pnav-status', role: 'status', 'data-pnav': 'status' }, t('connecting'));
    this.notice = h('p', { className: 'pnav-notice', role: 'alert', hidden: true, 'data-pnav': 'notice' });
    // Not a live region: the person's own messages must not be read back to them.
    // Incoming messages go to `announcer`, once each; the list is focusable so a
    // keyboard can scroll it.
    this.list = h('ol', { className: 'pnav-messages', 'aria-label': t('messages'), tabIndex: 0, 'data-pnav': 'messages' });
    this.announcer = h('p', { className: 'pnav-visually-hidden', 'aria-live': 'polite', 'data-pnav': 'announcer' });
    this.input = h('textarea', {
      id: 'pnav-input', className: 'pnav-input', rows: 2, maxLength: MAX_CHARS, 'data-pnav': 'message-input',
      autocomplete: 'off', spellcheck: true, dir: 'auto',
    });
    this.sendButton = h('button', { type: 'submit', className: 'pnav-button pnav-button--primary', 'data-pnav': 'send' }, t('send'));
    const form = h('form', { className: 'pnav-compose', noValidate: true },
      h('label', { htmlFor: 'pnav-input', className: 'pnav-visually-hidden' }, t('input')),
      this.input, this.sendButton);

    const submit = () => {
      const text = this.input.value.trim();
      if (!text || this.input.disabled) return;
      const id = on.onSend(text);
      if (id === null) {
        this.showNotice(t('tooLong'));
        return;
      }
      this.input.value = '';
      this.addOwn(id, text);
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      submit();
    });
    this.input.addEventListener('keydown', (e) => {
      // Enter sends, Shift+Enter is a new line; never while an IME is composing.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        submit();
      }
    });
    this.el = h('section', { className: 'pnav-conversation', 'data-pnav': 'conversation' },
      this.status, this.notice, this.list, this.announcer, form);
    // A phone's keyboard coming up while the person types shrinks the frame (the loader
    // follows visualViewport): keep the latest messages in view above the message box.
    addEventListener('resize', () => {
      if (document.activeElement === this.input) this.scrollToEnd();
    });
  }

  focus() {
    this.input.focus();
  }

  /**
   * Show the latest message: the list scrolls, or on a short window (chat.css) the
   * main area around it. Not scrollIntoView: that could scroll the partner's page too.
   */
  scrollToEnd() {
    this.list.scrollTop = this.list.scrollHeight;
    const main = this.el.parentElement;
    if (main) main.scrollTop = main.scrollHeight;
  }

  /**
   * The status line: waiting (and position), active (and whether the operator
   * is here), reconnecting, closed, lost. Reconnecting is a state like the
   * others, never an error.
   * @param {string} state @param {number} [position]
   * @param {'present' | 'away'} [operator] while active
   * @param {number} [waitEstimate] seconds, while waiting
   */
  setStatus(state, position, operator, waitEstimate) {
    const t = this.t;
    const away = state === 'active' && operator === 'away';
    const minutes = waitEstimate ? Math.max(1, Math.round(waitEstimate / 60)) : 0;
    const text = state === 'waiting'
      ? (position ? t('waitingPosition', { position }) : t('waiting'))
        + (minutes ? ' ' + t('waitEstimate', { minutes }) : '')
      : state === 'active' ? t(away ? 'operatorAway' : 'active')
        : state === 'closed' ? t('closed')
          : state === 'reconnecting' ? t('reconnecting')
            : t(state);
    this.status.textContent = text;
    this.status.dataset.state = state;
    if (state === 'active') this.status.dataset.operator = away ? 'away' : 'present';
    else delete this.status.dataset.operator;
    if (state === 'closed' || state === 'lost') {
      this.input.disabled = true;
      this.sendButton.disabled = true;
    }
  }

  /** @param {string} text */
  showNotice(text) {
    this.notice.textContent = text;
    this.notice.hidden = false;
  }

  /**
   * @param {'person' | 'operator' | string} from
   * @param {string | null} text null: could not decrypt
   * @returns {HTMLLIElement}
   */
  message(from, text) {
    const who = from === 'person' ? this.t('you') : this.t('operator');
    // dir=auto: each message takes the direction of its own text (an Arabic message
    // in a French interface, and the other way round).
    const body = h('p', { className: 'pnav-message__text', dir: 'auto' });
    // textContent, never HTML: the text comes from the other side.
    body.textContent = text === null ? this.t('undecryptable') : text;
    const li = h('li', {
      className: `pnav-message pnav-message--${from === 'person' ? 'person' : 'operator'}`,
      'data-pnav': 'message', 'data-from': from === 'person' ? 'person' : 'operator',
      'data-undecryptable': text === null ? 'true' : null,
    }, h('span', { className: 'pnav-message__who' }, who), body);
    this.list.append(li);
    this.scrollToEnd();
    return li;
  }

  /** @param {string} id @param {string} text */
  addOwn(id, text) {
    const li = this.message('person', text);
    li.dataset.state = 'pending';
    li.append(h('span', { className: 'pnav-message__state' }, this.t('pending')));
    this.own.set(id, li);
  }

  /** @param {string} id @param {number} seq */
  ack(id, seq) {
    const li = this.own.get(id);
    if (!li) return;
    li.dataset.state = 'sent';
    li.dataset.seq = String(seq);
    li.querySelector('.pnav-message__state')?.remove();
  }

  /** @param {string} id */
  failed(id) {
    const li = this.own.get(id);
    if (!li) return;
    li.dataset.state = 'failed';
    const mark = li.querySelector('.pnav-message__state');
    if (mark) mark.textContent = this.t('failed');
  }

  /** Another operator took over the conversation: say so, in the conversation itself. */
  addHandover() {
    this.list.append(h('li', { className: 'pnav-event', 'data-pnav': 'handover', role: 'note' }, this.t('handover')));
    this.scrollToEnd();
    this.announce(this.t('handover'));
  }

  /** @param {{seq: number, from: string, text: string | null, card?: import('../shared/card.js').Card | null}} m */
  addIncoming(m) {
    const li = this.message(m.from, m.text);
    li.dataset.seq = String(m.seq);
    if (m.card && m.from === 'operator') this.showCard(li, m.card);
    if (m.from !== 'person') this.announce(`${this.t('operator')}: ${li.querySelector('.pnav-message__text')?.textContent ?? ''}`);
  }

  /**
   * Say one thing to a screen reader, once: the region holds only the latest text.
   * @param {string} text
   */
  announce(text) {
    this.announcer.textContent = text;
  }

  /**
   * A referral card in place of its plain-text form: text and numbers. A
   * phone number is a tel:/sms: link (the device asks before calling); a web
   * address is shown in full and opens, in a new tab without referrer, only
   * when the person clicks it. Nothing opens by itself.
   * @private @param {HTMLLIElement} li @param {import('../shared/card.js').Card} card
   */
  showCard(li, card) {
    const t = this.t;
    const lang = document.documentElement.lang || 'fr';
    const rows = cardLines(card, t, lang).map(({ field, label, value }) => {
      const href = field === 'phone' ? phoneHref(value, 'tel') : field === 'sms' ? phoneHref(value, 'sms')
        : field === 'url' ? webHref(value) : null;
      const link = href && h('a', {
        href, className: 'pnav-card__link', 'data-pnav': `referral-${field}`,
        ...(field === 'url' ? { target: '_blank', rel: 'noopener noreferrer', referrerPolicy: 'no-referrer', title: t('card.newTab') } : {}),
      }, value);
      return h('div', { className: 'pnav-card__row' }, h('dt', {}, label), h('dd', {}, link || value));
    });
    const body = h('div', { className: 'pnav-message__text pnav-card', 'data-pnav': 'referral' },
      h('p', { className: 'pnav-card__name' }, card.name),
      card.description && h('p', { className: 'pnav-card__description' }, card.description),
      h('dl', { className: 'pnav-card__lines' }, ...rows));
    li.dataset.kind = 'referral';
    li.querySelector('.pnav-message__text')?.replaceWith(body);
    const site = /** @type {HTMLAnchorElement | null} */ (body.querySelector('[data-pnav="referral-url"]'));
    if (site) askBeforeOpening(site, t, this.on.onOpenSite);
  }
}

/**
 * A click on a card's web address does not open it: one line says first that
 * the site will stay in the browser's history, and offers to copy the address
 * instead. The link stays a real one (target _blank, no opener, no referrer)
 * for whoever opens it from the browser's own menu.
 * @param {HTMLAnchorElement} link @param {T} t @param {(url: string) => void} openSite
 */
function askBeforeOpening(link, t, openSite) {
  const url = link.href;
  /** @type {HTMLElement | null} */
  let notice = null;
  const ask = (/** @type {MouseEvent} */ e) => {
    if (e.type === 'auxclick' && e.button !== 1) return;
    e.preventDefault();
    if (notice) {
      /** @type {HTMLElement | null} */ (notice.querySelector('button'))?.focus();
      return;
    }
    const status = h('span', { className: 'pnav-site-notice__status', role: 'status', 'data-pnav': 'referral-copy-status' });
    const open = h('button', { type: 'button', className: 'pnav-link-button', 'data-pnav': 'referral-open' }, t('card.openSite'));
    const copy = h('button', { type: 'button', className: 'pnav-link-button', 'data-pnav': 'referral-copy' }, t('card.copyUrl'));
    notice = h('p', { className: 'pnav-site-notice', 'data-pnav': 'referral-notice' },
      t('card.historyWarning'), ' ', open, ' ', copy, ' ', status);
    open.addEventListener('click', () => openSite(url));
    copy.addEventListener('click', () => {
      copyText(url).then((done) => {
        status.textContent = t(done ? 'card.copied' : 'card.copyFailed', { url });
      });
    });
    link.closest('.pnav-card')?.append(notice);
    open.focus();
  };
  link.addEventListener('click', ask);
  link.addEventListener('auxclick', ask);
}

/**
 * Put `text` on the clipboard. The chat's frame is sandboxed, where the
 * Clipboard API may be refused; the older copy command on a selected field
 * is tried then. Resolves false when neither worked (the status line then
 * gives the address to copy by hand).
 * @param {string} text
 * @returns {Promise<boolean>}
 */
async function copyText(text) {
  // Not even tried where the frame's permissions policy forbids it (the
  // browser would report a violation); a refusal for another reason falls
  // through to the copy command too.
  const policy = /** @type {{allowsFeature?: (f: string) => boolean} | undefined} */ (
    /** @type {any} */ (document).permissionsPolicy ?? /** @type {any} */ (document).featurePolicy);
  if (navigator.clipboard && policy?.allowsFeature?.('clipboard-write') !== false) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // refused: try the copy command
    }
  }
  const field = h('textarea', { className: 'pnav-visually-hidden', readOnly: true, 'aria-hidden': 'true', tabIndex: -1 });
  field.value = text;
  document.body.append(field);
  const active = /** @type {HTMLElement | null} */ (document.activeElement);
  field.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    field.remove();
    active?.focus();
  }
}
