// Open conversations: one tab and one panel each. Message text is only set
// with textContent; keys never reach the DOM.
import { h, clock } from '../shared/dom.js';
import { OUTCOMES } from './desk.js';
import { TransferForm } from './transfer.js';
import { QUIET_REASONS, languageName } from './translate.js';

/**
 * @typedef {(key: string, vars?: Record<string, string | number>) => string} T
 * @typedef {import('./desk.js').Conversation} Conversation
 * @typedef {{tab: HTMLButtonElement, panel: HTMLElement, list: HTMLOListElement,
 *   presence: HTMLElement, state: HTMLElement, input: HTMLTextAreaElement, duress: HTMLElement,
 *   handovers: HTMLElement, transfer: TransferForm, unread: number, aside: HTMLElement,
 *   outcome: HTMLSelectElement, detected: HTMLElement, warn: () => void,
 *   controls: HTMLElement[], own: Map<string, HTMLElement>, sending: Promise<void>}} Parts
 * @typedef {import('./translate.js').TranslationResult} TranslationResult
 * @typedef {(c: Conversation, id: string) => HTMLElement | null} Tool builds one tool's
 *   element for a conversation panel (id: the panel's element id, a prefix for ids);
 *   a closed conversation disables every button, input, select and textarea in it
 */

export class ConversationsView {
  /**
   * @param {HTMLElement} tabs role=tablist
   * @param {HTMLElement} panels
   * @param {HTMLElement} empty shown when no conversation is open
   * @param {{t: T, label: T, lang: string, onSend: (key: string, text: string) => string | null,
   *   onClose: (key: string, outcome: string) => void, onDismiss: (key: string) => void,
   *   onTransfer: (key: string, to: string, note: string) => string | null,
   *   translations?: import('./translate.js').Translations, tools?: Tool[],
   *   onUnread?: (key: string, n: number) => void, toolsToggle?: HTMLButtonElement}} opts
   *   toolsToggle: the one button that folds the tools of every conversation away
   *   onTransfer returns an i18n key saying why nothing was sent, or null;
   *   translations: machine translation (translate.js), absent to switch it off;
   *   tools: casework and supervision controls, one element each under the conversation
   */
  constructor(tabs, panels, empty, opts) {
    this.tabs = tabs;
    this.panels = panels;
    this.empty = empty;
    this.opts = opts;
    /** @type {Map<string, Parts>} */
    this.parts = new Map();
    // The tools beside every conversation fold away together; in memory only.
    this.toolsFolded = false;
    /** @type {string | null} */
    this.selected = null;
    this.onToggle = () => this.foldTools(!this.toolsFolded);
    opts.toolsToggle?.addEventListener('click', this.onToggle);
  }

  /** Create or refresh a conversation. @param {Conversation} c @param {boolean} select */
  upsert(c, select) {
    let p = this.parts.get(c.key);
    if (!p) {
      p = this.build(c);
      this.parts.set(c.key, p);
      this.tabs.append(p.tab);
      this.panels.append(p.panel);
      this.empty.hidden = true;
      this.toggleState();
    }
    p.tab.textContent = this.tabText(c);
    p.tab.classList.toggle('c-tab--danger', c.danger);
    // A supervisor reading along (supervise.js): no reply box, closing or transfer.
    p.panel.dataset.observing = String(c.observing === true);
    this.presence(c);
    this.handovers(p, c);
    if (c.state === 'closed') this.closed(c);
    else p.state.textContent = '';
    if (!c.k) p.state.textContent = this.opts.t('noKey');
    if (select || this.parts.size === 1) this.select(c.key);
  }

  /** @private @param {Conversation} c @returns {Parts} */
  build(c) {
    const { t, label } = this.opts;
    const id = `conv-${c.key.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const tab = h('button', { type: 'button', role: 'tab', id: `${id}-tab`, className: 'c-tab', 'data-pnav': 'conversation-tab', 'data-conv': c.key, 'aria-controls': id, 'aria-selected': 'false' });
    tab.addEventListener('click', () => this.select(c.key));
    const presence = h('p', { className: 'c-presence', 'data-pnav': 'presence', role: 'status' });
    const handovers = h('ol', { className: 'c-handovers', 'data-pnav': 'handovers', 'aria-label': t('handovers') });
    const transfer = new TransferForm(t, id, (to, note) => this.opts.onTransfer(c.key, to, note));
    const state = h('p', { className: 'c-state', 'data-pnav': 'conversation-state', role: 'status' });
    // Focusable: a keyboard can scroll it (axe scrollable-region-focusable).
    const list = h('ol', { className: 'c-messages', 'data-pnav': 'messages', 'aria-live': 'polite', tabIndex: 0, 'aria-label': t('messages') });
    // Next to the reply box, where the operator is about to write.
    const duress = h('p', { className: 'c-notice', 'data-pnav': 'duress', role: 'status', hidden: true }, h('strong', {}, t('duress')));
    const translate = this.opts.translations ? this.translateToggle(c, id) : null;
    const input = h('textarea', { id: `${id}-reply`, className: 'c-input', rows: 2, 'data-pnav': 'reply-input', dir: 'auto' });
    // Said before sending: this reply will reach the person untranslated (translation.js).
    const untranslated = h('p', { className: 'c-notice', 'data-pnav': 'untranslated-warning', id: `${id}-untranslated`, hidden: true });
    // Said once: the person writes in another language than the one they declared.
    const detected = h('p', { className: 'c-notice', 'data-pnav': 'language-detected', role: 'status', hidden: true });
    const sendButton = h('button', { type: 'submit', className: 'c-button c-button--primary', 'data-pnav': 'reply-send' }, t('send'));
    const reply = h('form', { className: 'c-reply', noValidate: true },
      h('label', { htmlFor: input.id, className: 'c-reply__label' }, t('reply')), untranslated, input,
      h('div', { className: 'c-reply__side' }, sendButton, translate));
    input.setAttribute('aria-describedby', untranslated.id);
    const warn = () => this.warnUntranslated(c, untranslated);
    input.addEventListener('focus', warn);
    input.addEventListener('input', warn);
    this.opts.translations?.ready.then(warn);
    const outcome = h('select', { id: `${id}-outcome`, 'data-pnav': 'outcome' },
      ...OUTCOMES.map((o) => h('option', { value: o }, t(`outcome.${o}`))));
    const closeButton = h('button', { type: 'button', className: 'c-button c-button--danger', 'data-pnav': 'close' }, t('close'));
    const dismiss = h('button', { type: 'button', className: 'c-button', 'data-pnav': 'dismiss', hidden: true }, t('dismiss'));
    // The conversation itself, and beside it (below it on narrow screens) the tools.
    const panel = h('section', { id, role: 'tabpanel', className: 'c-panel', 'data-pnav': 'conversation', 'data-conv': c.key, 'aria-labelledby': tab.id, hidden: true },
      h('div', { className: 'c-panel__main' },
      h('div', { className: 'c-panel__bar' },
        h('dl', { className: 'c-meta' },
          c.danger && h('div', { className: 'c-danger' }, h('dt', {}, t('danger'))),
          h('div', {}, h('dt', {}, t('meta.who')), h('dd', {}, label(`who.${c.who}`))),
          h('div', {}, h('dt', {}, t('meta.what')), h('dd', {}, label(`what.${c.what}`))),
          h('div', {}, h('dt', {}, t('meta.lang')), h('dd', { lang: c.lang }, c.lang.toUpperCase()))),
        presence,
        h('div', { className: 'c-close' }, h('label', { htmlFor: outcome.id }, t('outcome')), outcome, closeButton, dismiss)),
      detected, handovers, state, list, duress, reply),
      h('div', { className: 'c-panel__aside', id: `${id}-aside`, 'data-pnav': 'tools-panel', hidden: this.toolsFolded },
        transfer.el,
        h('div', { className: 'c-tools', 'data-pnav': 'tools' }, ...(this.opts.tools ?? []).map((tool) => tool(c, id)))));

    const submit = () => {
      const text = input.value.trim();
      if (!text || input.disabled) return;
      // A canned reply put in the box marks the language it is in (canned.js).
      const written = input.lang;
      input.value = '';
      input.lang = '';
      this.send(c, text, written);
    };
    reply.addEventListener('submit', (e) => {
      e.preventDefault();
      submit();
    });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        submit();
      }
    });
    closeButton.addEventListener('click', () => this.opts.onClose(c.key, outcome.value));
    dismiss.addEventListener('click', () => this.remove(c.key));
    const aside = /** @type {HTMLElement} */ (panel.querySelector('[data-pnav="tools-panel"]'));
    return { tab, panel, list, presence, state, input, duress, handovers, transfer, unread: 0, aside, outcome, detected, warn, controls: [input, sendButton, outcome, closeButton], own: new Map(), sending: Promise.resolve() };
  }

  /**
   * The per-conversation "machine translation" switch (on by default).
   * @private @param {Conversation} c @param {string} id
   */
  translateToggle(c, id) {
    const tr = /** @type {import('./translate.js').Translations} */ (this.opts.translations);
    const box = h('input', { type: 'checkbox', id: `${id}-translate`, checked: tr.enabled(c.key), 'data-pnav': 'translate-toggle' });
    box.addEventListener('change', () => {
      tr.setEnabled(c.key, box.checked);
      this.parts.get(c.key)?.warn();
    });
    const el = h('p', { className: 'c-translate' }, box, ' ', h('label', { htmlFor: box.id }, this.opts.t('translate.toggle')));
    // No translator on this platform: say so, and offer no switch that would do nothing.
    tr.ready.then(() => {
      if (!tr.unavailable) return;
      el.dataset.pnav = 'translate-none';
      el.replaceChildren(this.opts.t('translate.none'));
    });
    return el;
  }

  /**
   * Whether what the operator is writing would reach the person untranslated
   * although they write in another language: said under the reply box, before
   * anything is sent.
   * @private @param {Conversation} c @param {HTMLElement} note
   */
  warnUntranslated(c, note) {
    const target = this.personLang(c);
    const tr = this.opts.translations;
    const off = !tr || tr.unavailable || !tr.enabled(c.key);
    note.hidden = !(off && target && !sameLanguage(target, this.opts.lang));
    note.textContent = note.hidden ? '' : this.opts.t('translate.willBeUntranslated', { lang: languageName(target, this.opts.lang) });
  }

  /** The person's language: detected by the translator, else declared. @private @param {Conversation} c */
  personLang(c) {
    return this.opts.translations?.personLang(c) ?? c.lang;
  }

  /**
   * Translate (when on and the languages differ), then encrypt and send: the
   * person gets the translation, the operator sees both. Replies leave in the
   * order they were written, each after its own translation; a translator that
   * fails or is slow sends the original, marked. Text known to be in another
   * language than the operator's (a canned reply) is sent as it is.
   * @private @param {Conversation} c @param {string} text
   * @param {string} [written] the text's language, when known
   */
  send(c, text, written = '') {
    const p = this.parts.get(c.key);
    if (!p) return;
    const li = this.append(p, 'operator', text);
    li.dataset.state = 'pending';
    li.append(h('span', { className: 'c-message__state' }, this.opts.t('pending')));
    const tr = this.opts.translations;
    p.sending = p.sending.then(async () => {
      const result = tr && (!written || written === this.opts.lang) ? await tr.outgoing(c, text) : null;
      const out = result?.translated ? result.text : text;
      if (result) this.showTranslation(li, result, 'outgoing', text);
      else if (!written && !sameLanguage(this.personLang(c), this.opts.lang)) this.markUntranslated(li, c);
      const cid = this.opts.onSend(c.key, out);
      if (cid === null) {
        li.dataset.state = 'failed';
        const mark = li.querySelector('.c-message__state');
        if (mark) mark.textContent = this.opts.t('failed');
        return;
      }
      p.own.set(cid, li);
    });
  }

  /**
   * Send what is not a typed reply (a referral card), after the replies on
   * their way, shown like one: pending until the server stored it. Not
   * translated.
   * @param {string} key convKey @param {string} text what the bubble shows
   * @param {() => string | null} send seals and sends; the client id, or null
   * @returns {HTMLElement | null} the bubble
   */
  sendOther(key, text, send) {
    const p = this.parts.get(key);
    if (!p) return null;
    const li = this.append(p, 'operator', text);
    li.dataset.state = 'pending';
    li.append(h('span', { className: 'c-message__state' }, this.opts.t('pending')));
    p.sending = p.sending.then(() => {
      const cid = send();
      if (cid !== null) {
        p.own.set(cid, li);
        return;
      }
      li.dataset.state = 'failed';
      const mark = li.querySelector('.c-message__state');
      if (mark) mark.textContent = this.opts.t('failed');
    });
    return li;
  }

  /**
   * Show a translation next to a message: for what the person wrote, the
   * translation under the original; for what the operator sent, the text
   * sent (translated) with what they wrote under it. Untranslated: a mark.
   * @private @param {HTMLElement} li @param {TranslationResult} r
   * @param {'incoming' | 'outgoing'} way @param {string} original
   */
  showTranslation(li, r, way, original) {
    const { t, lang } = this.opts;
    li.querySelector('[data-pnav="translation"]')?.remove();
    if (!r.translated) {
      const quiet = QUIET_REASONS.includes(r.reason ?? '');
      li.dataset.translation = quiet ? 'none' : 'untranslated';
      if (quiet) return;
      const reason = t(`translate.reason.${r.reason}`);
      li.append(h('p', { className: 'c-translation c-translation--failed', 'data-pnav': 'translation', 'data-reason': r.reason ?? '' },
        h('span', { className: 'c-translation__label', 'data-pnav': 'translation-label' }, t('translate.not', { reason }))));
      return;
    }
    li.dataset.translation = 'translated';
    const name = languageName(way === 'incoming' ? r.source ?? '' : r.target, lang);
    const body = h('span', { className: 'c-translation__text' });
    const text = li.querySelector('.c-message__text');
    if (way === 'incoming') {
      body.textContent = r.text;
      body.lang = r.target;
      if (text && r.source) /** @type {HTMLElement} */ (text).lang = r.source;
    } else {
      // The bubble's text is what was sent; what the operator wrote goes below.
      if (text) {
        text.textContent = r.text;
        /** @type {HTMLElement} */ (text).lang = r.target;
      }
      body.textContent = original;
      body.lang = lang;
    }
    const label = t(way === 'incoming' ? 'translate.from' : 'translate.to', { lang: name });
    li.insertBefore(h('p', { className: 'c-translation', 'data-pnav': 'translation', 'data-source': r.source ?? '', 'data-target': r.target },
      h('span', { className: 'c-translation__label', 'data-pnav': 'translation-label' }, label), body),
    li.querySelector('.c-message__state'));
  }

  /**
   * A reply that left untranslated to a person who writes in another language.
   * @private @param {HTMLElement} li @param {Conversation} c
   */
  markUntranslated(li, c) {
    li.dataset.translation = 'untranslated';
    li.append(h('p', { className: 'c-translation c-translation--failed', 'data-pnav': 'translation', 'data-reason': 'off' },
      h('span', { className: 'c-translation__label', 'data-pnav': 'translation-label' },
        this.opts.t('translate.sentUntranslated', { lang: languageName(this.personLang(c), this.opts.lang) }))));
  }

  /**
   * The translator found the person's messages in another language than the
   * declared one: say it once, above the messages (replies follow the detected one).
   * @private @param {Conversation} c @param {string} found
   */
  languageDetected(c, found) {
    const note = this.parts.get(c.key)?.detected;
    if (!note || !note.hidden) return;
    const { t, lang } = this.opts;
    note.textContent = t('translate.detected', { declared: languageName(c.lang, lang), detected: languageName(found, lang) });
    note.hidden = false;
  }

  /** @param {string} key */
  select(key) {
    this.selected = this.parts.has(key) ? key : null;
    for (const [k, p] of this.parts) {
      const on = k === key;
      p.tab.setAttribute('aria-selected', String(on));
      p.tab.tabIndex = on ? 0 : -1;
      p.panel.hidden = !on;
      if (on && p.unread) this.setUnread(k, p, 0);
    }
  }

  /** The conversation in front of the operator (its panel shown, the page visible). @param {string} key */
  inFront(key) {
    return this.selected === key && !document.hidden;
  }

  /** A new message from the person in a conversation not in front: counted on its tab. @param {string} key */
  markUnread(key) {
    const p = this.parts.get(key);
    if (p) this.setUnread(key, p, p.unread + 1);
  }

  /** @private @param {string} key @param {Parts} p @param {number} n */
  setUnread(key, p, n) {
    p.unread = n;
    p.tab.dataset.unread = String(n);
    p.tab.querySelector('.c-tab__unread')?.remove();
    if (n > 0) p.tab.append(h('span', { className: 'c-tab__unread' }, ` (${this.opts.t('unread', { count: n })})`));
    this.opts.onUnread?.(key, n);
  }

  /** Keys of the open conversations, in tab order. */
  keys() {
    return [...this.parts.keys()];
  }

  /** The next (1) or previous (-1) conversation, wrapping. @param {number} step */
  selectBy(step) {
    const keys = this.keys();
    if (keys.length === 0) return;
    const at = this.selected === null ? -1 : keys.indexOf(this.selected);
    this.show(keys[(at + step + keys.length) % keys.length]);
  }

  /** Select a conversation and put focus on its tab. @param {string | undefined} key */
  show(key) {
    if (key === undefined || !this.parts.has(key)) return;
    this.select(key);
    this.parts.get(key)?.tab.focus();
  }

  /** Focus the reply box of a conversation (the selected one by default). @param {string} [key] */
  focusReply(key = this.selected ?? '') {
    const p = this.parts.get(key);
    if (!p) return;
    if (this.selected !== key) this.select(key);
    if (!p.input.disabled && p.panel.dataset.observing !== 'true') p.input.focus();
    else p.tab.focus();
  }

  /** Focus the closing controls of the selected conversation (outcome first). */
  focusClose() {
    const p = this.selected === null ? undefined : this.parts.get(this.selected);
    if (p && !p.outcome.disabled) p.outcome.focus();
  }

  /**
   * Open a tool's form (``emergency`` or ``report``) in the selected conversation,
   * unfolding the tools, and focus its first field. @param {string} name
   */
  openTool(name) {
    const p = this.selected === null ? undefined : this.parts.get(this.selected);
    const details = /** @type {HTMLDetailsElement | null | undefined} */ (p?.aside.querySelector(`[data-pnav="${name}"]`));
    if (!p || !details) return;
    if (this.toolsFolded) this.foldTools(false);
    details.open = true;
    details.scrollIntoView({ block: 'nearest' });
    const first = /** @type {HTMLElement | null} */ (details.querySelector('input:not([disabled]), textarea:not([disabled]), select:not([disabled])'));
    (first ?? details.querySelector('summary'))?.focus();
  }

  /** Fold (or unfold) the tools beside every conversation. @param {boolean} folded */
  foldTools(folded) {
    this.toolsFolded = folded;
    for (const p of this.parts.values()) p.aside.hidden = folded;
    this.toggleState();
  }

  /** @private the fold button: shown with a conversation open, says what it controls */
  toggleState() {
    const b = this.opts.toolsToggle;
    if (!b) return;
    b.hidden = this.parts.size === 0;
    b.setAttribute('aria-expanded', String(!this.toolsFolded));
    b.setAttribute('aria-controls', [...this.parts.values()].map((p) => p.aside.id).join(' '));
  }

  /** @param {Conversation} c */
  presence(c) {
    const p = this.parts.get(c.key);
    if (!p) return;
    p.presence.dataset.person = c.person;
    p.presence.textContent = c.person ? this.opts.t(`person.${c.person}`) : '';
    p.panel.dataset.person = c.person;
  }

  /** @private @param {Conversation} c */
  tabText(c) {
    const { t, label } = this.opts;
    // Words, not an emoji: not every operator's system has an emoji font.
    const who = c.duress ? `${t('duressOn')} · ` : '';
    const watching = c.observing ? `${t('observingTab')} · ` : '';
    return `${watching}${who}${c.danger ? '⚠ ' : ''}${label(`who.${c.who}`)} · ${label(`what.${c.what}`)}`;
  }

  /**
   * "Someone is here": a silent, steady indicator on the conversation (its tab
   * and above the reply box) while the person's chat shows its neutral view.
   * No sound, no focus change, no notification.
   * @param {Conversation} c
   */
  duress(c) {
    const p = this.parts.get(c.key);
    if (!p) return;
    p.duress.hidden = !c.duress;
    p.panel.dataset.duress = c.duress ? 'on' : 'off';
    p.tab.dataset.duress = c.duress ? 'on' : 'off';
    p.tab.textContent = this.tabText(c);
  }

  /**
   * Handover notes at the top of the conversation, oldest first. A note that
   * did not decrypt says so and shows nothing else.
   * @private @param {Parts} p @param {Conversation} c
   */
  handovers(p, c) {
    const { t, lang } = this.opts;
    p.handovers.replaceChildren(...c.handovers.map((x) => {
      const text = h('p', { className: 'c-handover__text' });
      text.textContent = x.text === null ? t('undecryptable') : x.text;
      return h('li', {
        className: 'c-handover', 'data-pnav': 'handover-note', 'data-from': x.from, 'data-to': x.to,
        'data-undecryptable': x.text === null ? 'true' : null,
      }, h('span', { className: 'c-handover__who' }, t('handoverFrom', { from: x.from, to: x.to, time: x.ts ? clock(x.ts, lang) : '' })), text);
    }));
  }

  /**
   * The server refused a transfer of this conversation.
   * @param {string} key @param {string} text
   * @returns {boolean} whether this view had that conversation
   */
  transferFailed(key, text) {
    const p = this.parts.get(key);
    if (!p || !p.transfer.pending) return false;
    p.transfer.fail(text);
    return true;
  }

  /** @param {Conversation} c */
  closed(c) {
    this.readOnly(c, this.opts.t('closedAs', { outcome: c.outcome ? this.opts.t(`outcome.${c.outcome}`) : '' }), 'closed');
  }

  /**
   * Closed or transferred while this console was disconnected.
   * @param {Conversation} c
   */
  lost(c) {
    this.readOnly(c, this.opts.t('lostConversation'), 'lost');
  }

  /** @private @param {Conversation} c @param {string} text @param {string} state */
  readOnly(c, text, state) {
    const p = this.parts.get(c.key);
    if (!p) return;
    p.state.textContent = text;
    p.panel.dataset.state = state;
    for (const el of p.controls) /** @type {HTMLButtonElement} */ (el).disabled = true;
    p.transfer.disable();
    for (const el of p.panel.querySelectorAll('[data-pnav="tools"] :is(button, input, select, textarea)')) {
      /** @type {HTMLButtonElement} */ (el).disabled = true;
    }
    p.panel.querySelector('[data-pnav="dismiss"]')?.removeAttribute('hidden');
  }

  /**
   * @param {Conversation} c
   * @param {{seq: number, from: string, text: string | null}} m
   */
  message(c, m) {
    const p = this.parts.get(c.key);
    if (!p) return;
    const li = this.append(p, m.from, m.text);
    li.dataset.seq = String(m.seq);
    const tr = this.opts.translations;
    if (!tr || m.text === null) return;
    // Shown at once in the original; the translation is added when it comes.
    const text = m.text;
    li.dataset.translation = 'pending';
    tr.incoming(c, text).then((r) => {
      if (r) this.showTranslation(li, r, 'incoming', text);
      else li.dataset.translation = 'none';
      if (r?.source && !sameLanguage(r.source, c.lang)) this.languageDetected(c, r.source);
    });
  }

  /** @param {Conversation} c @param {string} id @param {number} seq */
  ack(c, id, seq) {
    const li = this.parts.get(c.key)?.own.get(id);
    if (!li) return;
    li.dataset.state = 'sent';
    li.dataset.seq = String(seq);
    li.querySelector('.c-message__state')?.remove();
  }

  /** @param {Conversation} c @param {string} id */
  failed(c, id) {
    const li = this.parts.get(c.key)?.own.get(id);
    if (!li) return;
    li.dataset.state = 'failed';
    const mark = li.querySelector('.c-message__state');
    if (mark) mark.textContent = this.opts.t('failed');
  }

  /** @private @param {Parts} p @param {string} from @param {string | null} text */
  append(p, from, text) {
    const side = from === 'person' ? 'person' : 'operator';
    const body = h('p', { className: 'c-message__text', dir: 'auto' });
    body.textContent = text === null ? this.opts.t('undecryptable') : text;
    const li = h('li', { className: `c-message c-message--${side}`, 'data-pnav': 'message', 'data-from': side, 'data-undecryptable': text === null ? 'true' : null },
      h('span', { className: 'c-message__who' }, this.opts.t(side)), body);
    p.list.append(li);
    p.list.scrollTop = p.list.scrollHeight;
    return li;
  }

  /** @param {string} key */
  remove(key) {
    const p = this.parts.get(key);
    if (!p) return;
    p.tab.remove();
    p.panel.remove();
    this.parts.delete(key);
    if (p.unread) this.opts.onUnread?.(key, 0);
    if (this.selected === key) this.selected = null;
    this.toggleState();
    this.opts.translations?.forget(key);
    this.opts.onDismiss(key);
    const next = this.parts.keys().next();
    if (next.done) this.empty.hidden = false;
    else this.select(next.value);
  }

  clear() {
    for (const p of this.parts.values()) {
      p.tab.remove();
      p.panel.remove();
    }
    this.parts.clear();
    this.selected = null;
    this.toggleState();
    this.opts.toolsToggle?.removeEventListener('click', this.onToggle);
    this.empty.hidden = false;
  }
}

/** Same base language ("pt-BR" and "pt"). @param {string} a @param {string} b */
function sameLanguage(a, b) {
  return a.split('-')[0].toLowerCase() === b.split('-')[0].toLowerCase();
}
