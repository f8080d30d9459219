// Keyboard shortcuts of the console, and the help dialog that lists them (`?`).
// Alt + a letter, read from the physical key (e.code), so they work on every
// keyboard layout and never fire while the operator types a message; `?` opens
// the help only outside text fields.
import { h } from '../shared/dom.js';

/** @typedef {(key: string, vars?: Record<string, string | number>) => string} T */

/**
 * @typedef {object} ShortcutActions
 * @property {() => void} takeNext accept the first conversation in the queue
 * @property {(step: number) => void} switchBy the next (1) or previous (-1) conversation
 * @property {(n: number) => void} switchTo the n-th open conversation (1-based)
 * @property {() => void} focusReply
 * @property {() => void} emergency open the emergency form of the current conversation
 * @property {() => void} report open the report form
 * @property {() => void} close focus the closing controls (outcome, then Close)
 * @property {() => void} queue focus the queue
 */

// code → [action, i18n key of its description]; Alt+1…9 switch to a conversation.
/** @type {Array<[string, keyof ShortcutActions, string, string]>} */
const KEYS = [
  ['KeyN', 'takeNext', 'Alt+N', 'shortcut.takeNext'],
  ['KeyJ', 'switchBy', 'Alt+J', 'shortcut.nextConversation'],
  ['KeyK', 'switchBy', 'Alt+K', 'shortcut.previousConversation'],
  ['KeyR', 'focusReply', 'Alt+R', 'shortcut.reply'],
  ['KeyE', 'emergency', 'Alt+E', 'shortcut.emergency'],
  ['KeyS', 'report', 'Alt+S', 'shortcut.report'],
  ['KeyC', 'close', 'Alt+C', 'shortcut.close'],
  ['KeyQ', 'queue', 'Alt+Q', 'shortcut.queue'],
];

/** @param {EventTarget | null} el */
function typing(el) {
  if (!(el instanceof HTMLElement)) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

export class Shortcuts {
  /** @param {T} t @param {ShortcutActions} actions */
  constructor(t, actions) {
    this.actions = actions;
    const rows = [...KEYS.map(([, , combo, label]) => [combo, t(label)]), ['Alt+1…9', t('shortcut.conversationN')], ['?', t('shortcut.help')]];
    const closeButton = h('button', { type: 'button', className: 'c-button', 'data-pnav': 'shortcuts-close' }, t('shortcut.closeHelp'));
    this.dialog = h('dialog', { className: 'c-dialog', 'data-pnav': 'shortcuts', 'aria-labelledby': 'shortcuts-title' },
      h('h2', { id: 'shortcuts-title' }, t('shortcut.title')),
      h('table', { className: 'c-shortcuts' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('shortcut.keys')), h('th', { scope: 'col' }, t('shortcut.does')))),
        h('tbody', {}, ...rows.map(([combo, text]) => h('tr', {}, h('td', {}, h('kbd', {}, combo)), h('td', {}, text))))),
      closeButton);
    closeButton.addEventListener('click', () => this.dialog.close());
    document.body.append(this.dialog);
    /** @param {KeyboardEvent} e */
    this.onKey = (e) => {
      if (e.defaultPrevented || e.isComposing) return;
      if (e.key === '?' && !e.altKey && !e.ctrlKey && !e.metaKey && !typing(e.target)) {
        e.preventDefault();
        this.help();
        return;
      }
      if (!e.altKey || e.ctrlKey || e.metaKey || this.dialog.open) return;
      const digit = /^Digit([1-9])$/.exec(e.code);
      if (digit) {
        e.preventDefault();
        this.actions.switchTo(Number(digit[1]));
        return;
      }
      const hit = KEYS.find(([code]) => code === e.code);
      if (!hit) return;
      e.preventDefault();
      const [code, action] = hit;
      if (action === 'switchBy') this.actions.switchBy(code === 'KeyJ' ? 1 : -1);
      else /** @type {() => void} */ (this.actions[action])();
    };
    document.addEventListener('keydown', this.onKey);
  }

  help() {
    if (!this.dialog.open) this.dialog.showModal();
  }

  stop() {
    document.removeEventListener('keydown', this.onKey);
    this.dialog.remove();
  }
}
