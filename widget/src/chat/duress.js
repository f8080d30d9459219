// "Someone is here" (issue 7 §4). One press hides the whole chat behind a
// neutral panel, in the same task, so the next frame painted shows nothing of
// the conversation, and tells the operator silently; a discreet action brings
// the conversation back. While it lasts the chat app is `hidden` (display:
// none): messages that arrive are added to it but neither shown nor announced
// (hidden live regions are silent), and the chat never makes a sound.
//
// The neutral panel must not say what the service is, nor look like a chat
// that was hidden: it reads like an empty notifications box of the partner
// site ("No new notifications", "Refresh", "Close"). "Refresh" brings the
// conversation back; "Close" only minimises the panel (the loader's `close`).
import { h } from '../shared/dom.js';

/** @typedef {(key: string, vars?: Record<string, string | number>) => string} T */

export class Duress {
  /**
   * @param {HTMLElement} app the chat app, hidden while on
   * @param {{onChange: (on: boolean) => void, onClose: () => void}} on
   *   onChange: tell the server (and nothing else: no sound, no notice)
   */
  constructor(app, on) {
    this.app = app;
    this.on = on;
    this.active = false;
    /** The control in the chat's header. */
    this.button = h('button', { type: 'button', className: 'pnav-button pnav-button--duress', 'data-pnav': 'duress' });
    this.heading = h('h1', { className: 'pnav-neutral__title' });
    this.text = h('p', { className: 'pnav-neutral__text' });
    this.refresh = h('button', { type: 'button', className: 'pnav-neutral__button', 'data-pnav': 'duress-end' });
    this.close = h('button', { type: 'button', className: 'pnav-neutral__button', 'data-pnav': 'duress-hide' });
    /** The neutral view, in place of the chat app while on. */
    // The page's main landmark while on (the chat app, with its own main, is hidden then).
    this.view = h('main', { className: 'pnav-neutral', 'data-pnav': 'duress-view', hidden: true, tabIndex: -1 },
      h('div', { className: 'pnav-neutral__bar' }, this.heading, this.close),
      this.text,
      this.refresh);
    this.button.addEventListener('click', () => this.set(true));
    this.refresh.addEventListener('click', () => this.set(false));
    this.close.addEventListener('click', () => this.on.onClose());
  }

  /** Labels in the interface language. @param {T} t */
  label(t) {
    this.button.textContent = t('duress');
    // The longer explanation, for whoever hovers or uses a screen reader.
    this.button.title = t('duressTitle');
    this.heading.textContent = t('neutralTitle');
    this.text.textContent = t('neutralText');
    this.refresh.textContent = t('neutralRefresh');
    this.close.textContent = t('neutralClose');
  }

  /**
   * Hide the chat behind the neutral view (on) or bring it back (off). The DOM
   * changes come first, the frame to the server after.
   * @param {boolean} active
   */
  set(active) {
    if (active === this.active) return;
    this.active = active;
    this.app.hidden = active;
    this.view.hidden = !active;
    // Focus never stays on a hidden element; coming back, it returns to the control.
    (active ? this.view : this.button).focus();
    try {
      this.on.onChange(active);
    } catch {
      // the view changed whatever happens to the frame
    }
  }
}
