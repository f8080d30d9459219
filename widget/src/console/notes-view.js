// Private notes under each conversation: the operator's notes, a supervisor's
// whispers (highlighted), and "X joined / left" lines, for the conversation's
// staff only. Nothing here ever goes into the message list the person sees.
// Text is only set with textContent.
import { h, clock } from '../shared/dom.js';

/**
 * @typedef {(key: string, vars?: Record<string, string | number>) => string} T
 * @typedef {import('./desk.js').Conversation} Conversation
 * @typedef {import('./notes.js').Note} Note
 * @typedef {{list: HTMLOListElement, observers: HTMLElement, input: HTMLTextAreaElement,
 *   kind: HTMLSelectElement, kindField: HTMLElement, status: HTMLElement,
 *   shown: Set<number>, pending: Map<string, HTMLLIElement>}} Parts
 */

export class NotesView {
  /**
   * @param {{t: T, lang: string,
   *   onWrite: (key: string, text: string, kind: string) => {cid: string} | {problem: string}}} opts
   *   onWrite seals and sends a note (desk.note)
   */
  constructor(opts) {
    this.opts = opts;
    /** @type {Map<string, Parts>} */
    this.parts = new Map();
  }

  /**
   * The notes tool of one conversation panel (conversations.js, Tool).
   * @param {Conversation} c @param {string} id
   */
  build(c, id) {
    const { t } = this.opts;
    const list = h('ol', { className: 'c-notes__list', 'data-pnav': 'notes', 'aria-live': 'polite' });
    const observers = h('p', { className: 'c-notes__observers', 'data-pnav': 'observers', hidden: true });
    const input = h('textarea', { id: `${id}-note`, className: 'c-input', rows: 2, 'data-pnav': 'note-input', dir: 'auto' });
    const kind = h('select', { id: `${id}-note-kind`, 'data-pnav': 'note-kind' },
      h('option', { value: 'whisper' }, t('notes.kind.whisper')),
      h('option', { value: 'note' }, t('notes.kind.note')));
    const kindField = h('p', { className: 'c-field', hidden: true }, h('label', { htmlFor: kind.id }, t('notes.kind')), kind);
    const status = h('p', { className: 'c-transfer__status', 'data-pnav': 'note-status', role: 'status' });
    const button = h('button', { type: 'submit', className: 'c-button', 'data-pnav': 'note-send' }, t('notes.send'));
    const form = h('form', { className: 'c-notes__form', noValidate: true },
      h('label', { htmlFor: input.id }, t('notes.input')), input, kindField, status, button);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text || input.disabled) return;
      this.write(c.key, text, kindField.hidden ? 'note' : kind.value);
    });
    /** @type {Parts} */
    const p = { list, observers, input, kind, kindField, status, shown: new Set(), pending: new Map() };
    this.parts.set(c.key, p);
    this.update(c);
    return h('section', { className: 'c-notes', 'data-pnav': 'notes-tool', 'aria-labelledby': `${id}-notes-title` },
      h('h3', { id: `${id}-notes-title`, className: 'c-notes__title' }, t('notes.title')), observers, list, form);
  }

  /** @private @param {string} key @param {string} text @param {string} kind */
  write(key, text, kind) {
    const p = this.parts.get(key);
    if (!p) return;
    const sent = this.opts.onWrite(key, text, kind);
    if ('problem' in sent) {
      p.status.textContent = this.opts.t(`notes.problem.${sent.problem}`);
      p.status.dataset.error = 'true';
      return;
    }
    p.input.value = '';
    p.status.textContent = '';
    const li = this.item(kind, '', Date.now(), text);
    li.dataset.state = 'pending';
    li.append(h('span', { className: 'c-message__state' }, this.opts.t('pending')));
    p.pending.set(sent.cid, li);
    p.list.append(li);
  }

  /**
   * The conversation changed (its frame came again): who observes it, whether
   * we observe it (then whispers are offered), notes not shown yet.
   * @param {Conversation} c
   */
  update(c) {
    const p = this.parts.get(c.key);
    if (!p) return;
    p.observers.hidden = c.observers.length === 0;
    p.observers.textContent = this.opts.t('notes.observers', { names: c.observers.join(', ') });
    p.kindField.hidden = !c.observing;
    for (const note of c.notes) this.add(c, note);
  }

  /** A note or whisper came (ours too). @param {Conversation} c @param {Note} note */
  add(c, note) {
    const p = this.parts.get(c.key);
    if (!p || p.shown.has(note.id)) return;
    p.shown.add(note.id);
    const li = this.item(note.kind, note.author, note.ts, note.text);
    const mine = note.cid === null ? undefined : p.pending.get(note.cid);
    if (mine) {
      p.pending.delete(/** @type {string} */ (note.cid));
      mine.replaceWith(li);
    } else {
      p.list.append(li);
    }
  }

  /** Our note was refused or lost. @param {Conversation} c @param {string} cid @param {string} reason */
  failed(c, cid, reason) {
    const li = this.parts.get(c.key)?.pending.get(cid);
    if (!li) return;
    li.dataset.state = 'failed';
    const mark = li.querySelector('.c-message__state');
    if (mark) mark.textContent = reason === 'offline' ? this.opts.t('notes.problem.offline') : this.opts.t('notes.failed', { reason });
  }

  /** "X joined / left": a line among the notes. @param {Conversation} c @param {string} username @param {boolean} on */
  observer(c, username, on) {
    const p = this.parts.get(c.key);
    if (!p) return;
    this.update(c);
    const text = this.opts.t(on ? 'notes.joined' : 'notes.left', { username, time: clock(Date.now(), this.opts.lang) });
    p.list.append(h('li', { className: 'c-note c-note--event', 'data-pnav': 'staff-event', 'data-username': username, 'data-on': String(on) }, text));
  }

  /** @private @param {string} kind @param {string} author @param {number} ts @param {string | null} text */
  item(kind, author, ts, text) {
    const { t, lang } = this.opts;
    const time = ts ? clock(ts, lang) : '';
    const who = author ? t(kind === 'whisper' ? 'notes.whisperFrom' : 'notes.by', { author, time }) : '';
    const body = h('p', { className: 'c-note__text', dir: 'auto' });
    body.textContent = text === null ? t('undecryptable') : text;
    return h('li', {
      className: `c-note c-note--${kind}`, 'data-pnav': 'note', 'data-kind': kind, 'data-author': author || null,
      'data-undecryptable': text === null ? 'true' : null,
    }, who && h('span', { className: 'c-note__who' }, who), body);
  }

  /** @param {string} key */
  forget(key) {
    this.parts.delete(key);
  }

  clear() {
    this.parts.clear();
  }
}
