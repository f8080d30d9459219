// Resume codes in the chat (docs/security.md "Resume code"): in a conversation,
// "Get a code to come back later" makes a code in this browser, registers its
// lookup id and the wrapped conversation key, and shows the code once; in the
// pre-chat, "I have a code" takes a code and hands its keys to the session.
// The code lives in this module's memory and the DOM only while shown: never in
// storage, a URL, a log, or a form that gets submitted.
import { h } from '../shared/dom.js';
import { fromBase64, newResumeCode, normaliseResumeCode, deriveResumeKeys, wipe, RESUME_DIGITS } from '../shared/crypto.js';
import { exitHintKey } from '../shared/quick-exit.js';

/** @typedef {(key: string, vars?: Record<string, string | number>) => string} T */
/** @typedef {{salt: Uint8Array, ops: number, mem: number}} ResumeParams */
/** @typedef {{lookup: Uint8Array, wrap: Uint8Array}} ResumeKeys */

/** Argon2id memory the chat accepts to spend (bytes): 8 MiB to 256 MiB. */
const MIN_MEM = 8 * 1024 * 1024;
const MAX_MEM = 256 * 1024 * 1024;

/**
 * The KDF parameters of the ticket answer's `resume` (docs/protocol.md), or
 * null when they are missing or not what this chat can run: the resume-code
 * controls are then not offered at all.
 * @param {unknown} raw
 * @returns {ResumeParams | null}
 */
export function resumeParams(raw) {
  if (!raw || typeof raw !== 'object') return null;
  const r = /** @type {Record<string, unknown>} */ (raw);
  const { ops, mem } = r;
  if (r.alg !== 'argon2id13' || r.digits !== RESUME_DIGITS) return null;
  if (typeof ops !== 'number' || !Number.isInteger(ops) || ops < 1 || ops > 10) return null;
  if (typeof mem !== 'number' || !Number.isInteger(mem) || mem < MIN_MEM || mem > MAX_MEM) return null;
  try {
    const salt = fromBase64(String(r.salt));
    return salt.length === 16 ? { salt, ops, mem } : null;
  } catch {
    return null;
  }
}

/** @param {ResumeKeys | null} keys */
function wipeKeys(keys) {
  if (!keys) return;
  wipe(keys.lookup);
  wipe(keys.wrap);
}

/**
 * "Get a code to come back later", inside the conversation view.
 */
export class ResumeOffer {
  /**
   * @param {T} t
   * @param {ResumeParams} params
   * @param {(keys: ResumeKeys) => Promise<void>} save registers the code's keys
   *   (ChatSession.saveResumeCode); rejects with Error('offline') when not connected
   */
  constructor(t, params, save) {
    this.t = t;
    this.params = params;
    this.save = save;
    this.available = false;
    this.busy = false;
    this.forgotten = false;
    this.getButton = h('button', { type: 'button', className: 'pnav-button pnav-button--secondary', 'data-pnav': 'resume-get', disabled: true }, t('resumeGet'));
    this.status = h('p', { className: 'pnav-resume__status', role: 'status', 'data-pnav': 'resume-status' });
    this.error = h('p', { className: 'pnav-error', role: 'alert', 'data-pnav': 'resume-error' });
    /** where the code is shown; empty otherwise */
    this.box = h('div', { className: 'pnav-resume__box', hidden: true });
    this.el = h('section', { className: 'pnav-resume', 'data-pnav': 'resume' }, this.getButton, this.status, this.error, this.box);
    this.getButton.addEventListener('click', () => {
      this.get();
    });
  }

  /**
   * Only once the conversation is open (after welcome) and not closed.
   * @param {boolean} on
   */
  setAvailable(on) {
    this.available = on;
    this.getButton.disabled = !on || this.busy;
  }

  /** @private Make a code, derive its keys (about a second), register it, show it. */
  async get() {
    if (this.busy || !this.available || this.forgotten) return;
    this.busy = true;
    this.hide(false);
    this.getButton.disabled = true;
    this.error.textContent = '';
    this.status.textContent = this.t('resumePreparing');
    let code = newResumeCode();
    /** @type {ResumeKeys | null} */
    let keys = null;
    try {
      keys = await deriveResumeKeys(code, this.params.salt, this.params);
      await this.save(keys);
      if (!this.forgotten) this.show(code);
    } catch (e) {
      if (!this.forgotten) {
        this.error.textContent = this.t(e instanceof Error && e.message === 'offline' ? 'resumeOffline' : 'resumeFailed');
      }
    } finally {
      wipeKeys(keys);
      code = '';
      this.busy = false;
      this.status.textContent = '';
      this.getButton.disabled = !this.available;
    }
  }

  /**
   * The code in large digit groups, the warning, and "Hide the code".
   * @private @param {string} code "1234 5678 9012 3456"
   */
  show(code) {
    const t = this.t;
    const groups = code.split(' ');
    const digits = h('p', { className: 'pnav-resume__code', 'data-pnav': 'resume-code', tabIndex: -1 });
    groups.forEach((g, i) => {
      if (i) digits.append(' ');
      digits.append(h('span', { className: 'pnav-resume__group' }, g));
    });
    const hide = h('button', { type: 'button', className: 'pnav-button pnav-button--primary', 'data-pnav': 'resume-hide' }, t('resumeHide'));
    hide.addEventListener('click', () => this.hide(true));
    this.box.replaceChildren(
      h('p', { className: 'pnav-resume__label' }, t('resumeYourCode')),
      digits,
      h('p', { className: 'pnav-resume__warning', 'data-pnav': 'resume-warning' }, t('resumeWarning')),
      h('p', { className: 'pnav-hint' }, t('resumeHowTo')),
      hide,
    );
    this.box.hidden = false;
    this.getButton.hidden = true;
    digits.focus();
  }

  /**
   * Wipe the code from the DOM.
   * @param {boolean} focus give the focus back to "Get a code"
   */
  hide(focus) {
    this.box.replaceChildren();
    this.box.hidden = true;
    this.getButton.hidden = false;
    if (focus) this.getButton.focus();
  }

  /** Quick exit: nothing may stay on screen or come back later. */
  forget() {
    this.forgotten = true;
    this.available = false;
    this.hide(false);
    this.el.remove();
  }
}

/**
 * @typedef {object} CodeEntry
 * @property {HTMLElement} el
 * @property {() => void} focus
 * @property {(code: string, message: string) => void} refused the server (or the
 *   key) refused the code: say why, keep what was typed
 * @property {() => void} opened the conversation is back: clear the field
 */

/**
 * "I have a code": the field to type it. Not a <form>, so the browser never
 * sees a submission to remember; the field asks for no autocomplete, no
 * spellcheck, no autocorrection.
 * @param {T} t
 * @param {ResumeParams} params
 * @param {{onBack: () => void, onKeys: (keys: ResumeKeys) => void}} on onKeys:
 *   the derived keys, for ChatSession.useCode (which owns them from then on)
 * @returns {CodeEntry}
 */
export function renderCodeEntry(t, params, on) {
  const input = h('input', {
    type: 'text', id: 'pnav-resume-input', className: 'pnav-input pnav-resume__input', inputMode: 'numeric',
    autocomplete: 'off', spellcheck: false, autocapitalize: 'off', maxLength: 40, 'aria-describedby': 'pnav-resume-error',
    'data-pnav': 'resume-input',
  });
  // Not a standard property: an attribute for Safari.
  input.setAttribute('autocorrect', 'off');
  const error = h('p', { id: 'pnav-resume-error', className: 'pnav-error', role: 'alert', 'data-pnav': 'resume-error' });
  const status = h('p', { className: 'pnav-resume__status', role: 'status', 'data-pnav': 'resume-status' });
  const submit = h('button', { type: 'button', className: 'pnav-button pnav-button--primary', 'data-pnav': 'resume-submit' }, t('codeSubmit'));
  const back = h('button', { type: 'button', className: 'pnav-button pnav-button--secondary', 'data-pnav': 'resume-back' }, t('codeBack'));
  const el = h('div', { className: 'pnav-prechat pnav-resume-entry', 'data-pnav': 'resume-entry' },
    h('p', { className: 'pnav-intro' }, t('codeIntro')),
    h('div', { className: 'pnav-field' }, h('label', { htmlFor: 'pnav-resume-input' }, t('codeLabel')), input),
    error, status, submit, back,
    h('p', { className: 'pnav-hint', 'data-pnav': 'exit-hint' }, t(exitHintKey())));
  let busy = false;

  /** @param {string} text */
  const fail = (text) => {
    busy = false;
    submit.disabled = false;
    status.textContent = '';
    error.textContent = text;
    input.focus();
  };

  const go = async () => {
    if (busy) return;
    let digits = '';
    try {
      digits = normaliseResumeCode(input.value);
    } catch {
      fail(t('codeNot16')); // before anything is derived or sent
      return;
    }
    busy = true;
    submit.disabled = true;
    error.textContent = '';
    status.textContent = t('codeOpening');
    try {
      const keys = await deriveResumeKeys(digits, params.salt, params);
      digits = '';
      if (!el.isConnected) {
        wipeKeys(keys); // left (Back, quick exit) while deriving
        return;
      }
      on.onKeys(keys);
    } catch {
      fail(t('codeFailed'));
    }
  };
  submit.addEventListener('click', go);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.isComposing) {
      e.preventDefault();
      go();
    }
  });
  back.addEventListener('click', () => {
    input.value = '';
    on.onBack();
  });
  return {
    el,
    focus: () => input.focus(),
    refused: (code, message) => fail(code === 'bad_code' ? t('codeBad')
      : code === 'rate_limited' ? t('codeRateLimited', { message: message || code })
        : code === 'bad_key' ? t('codeKeyFailed') : t('codeFailed')),
    opened: () => {
      input.value = '';
      status.textContent = '';
    },
  };
}
