// The chat app, inside the loader's sandboxed srcdoc iframe. Its origin is
// opaque: it has no storage and must not try any. It talks to the partner page
// only through postMessage with the loader, and to the server over one websocket.
import { chatStrings, translator, uiLang } from '../shared/i18n.js';
import { fromBase64 } from '../shared/crypto.js';
import { h } from '../shared/dom.js';
import { renderPrechat } from './prechat.js';
import { ConversationView } from './conversation.js';
import { ChatSession } from './session.js';

/**
 * @typedef {object} Init what the loader sends after {t: 'ready'}
 * @property {string} ticket
 * @property {string} ws
 * @property {string} exit
 * @property {{id: string, public: string}} desk_key
 * @property {string} lang
 * @property {string} partner
 * @property {number} [dead_after] seconds of silence before the socket counts
 *   as dead; only ever shortens the default (clamped to 5..45 s in shared/socket.js)
 */

/** @type {Init | null} */
let init = null;
/** @type {import('./prechat.js').PrechatAnswers} */
const answers = { who: '', what: '', danger: false, lang: 'fr' };
/** @type {ChatSession | null} */
let session = null;
// The loader sets <html lang>; use it until init arrives.
let t = translator(chatStrings, uiLang(document.documentElement.lang));
/** @type {number[]} */
let shifts = [];

const main = h('main', { className: 'pnav-main' }, h('p', { className: 'pnav-status' }, t('loading')));
const title = h('h1', { className: 'pnav-title' });
const exitButton = h('button', { type: 'button', className: 'pnav-button pnav-button--exit', 'data-pnav': 'chat-exit' });
const closeButton = h('button', { type: 'button', className: 'pnav-button pnav-button--icon', 'data-pnav': 'minimise' }, '–');
document.body.append(h('div', { className: 'pnav-app' },
  h('header', { className: 'pnav-header' }, title, exitButton, closeButton), main));
labelHeader();

exitButton.addEventListener('click', leave);
closeButton.addEventListener('click', () => parent.postMessage({ t: 'close' }, '*'));

// Shift three times within 2 s: keys pressed in here never reach the partner
// page, so forward the gesture to the loader. Any other key resets the count,
// so capitals typed in a message never trigger it.
addEventListener('keydown', (e) => {
  if (!e.isTrusted) return;
  if (e.key !== 'Shift') {
    shifts = [];
    return;
  }
  if (e.repeat) return;
  const now = Date.now();
  shifts = shifts.filter((s) => now - s < 2000);
  shifts.push(now);
  if (shifts.length >= 3) leave();
}, true);

addEventListener('message', (e) => {
  if (e.source !== window.parent) return;
  const d = e.data;
  if (!d || typeof d !== 'object') return;
  if (d.t === 'init' && validInit(d)) onInit(d);
  else if (d.t === 'exit') forgetAll();
});

parent.postMessage({ t: 'ready' }, '*');

/** @param {any} d @returns {d is Init} */
function validInit(d) {
  if (typeof d.ticket !== 'string' || typeof d.ws !== 'string' || !/^wss?:\/\//.test(d.ws)) return false;
  if (!d.desk_key || typeof d.desk_key.id !== 'string' || typeof d.desk_key.public !== 'string') return false;
  try {
    return fromBase64(d.desk_key.public).length === 32;
  } catch {
    return false;
  }
}

/** @param {Init} d */
function onInit(d) {
  const first = !init;
  init = d;
  if (first) {
    answers.lang = uiLang(d.lang);
    setLang(answers.lang);
    showPrechat();
  } else if (session) {
    // A fresh ticket we asked for after bad_ticket.
    session.retry(d.ticket);
  }
}

/** @param {string} lang */
function setLang(lang) {
  t = translator(chatStrings, uiLang(lang));
  document.documentElement.lang = uiLang(lang);
  labelHeader();
}

function labelHeader() {
  title.textContent = t('title');
  exitButton.textContent = t('quickExit');
  closeButton.setAttribute('aria-label', t('minimise'));
  closeButton.title = t('minimise');
}

function showPrechat() {
  main.replaceChildren(renderPrechat(t, answers, {
    onLang: (lang) => {
      setLang(lang);
      showPrechat();
      /** @type {HTMLElement | null} */ (main.querySelector('[data-pnav="prechat-lang"]'))?.focus();
    },
    onStart: start,
  }));
}

/** @param {import('./prechat.js').PrechatAnswers} a */
function start(a) {
  if (!init || session) return;
  const view = new ConversationView(t, { onSend: (text) => session?.send(text) ?? null });
  main.replaceChildren(view.el);
  if (a.danger) main.prepend(h('p', { className: 'pnav-emergency', 'data-pnav': 'emergency' }, t('dangerNumbers')));
  const deadAfter = typeof init.dead_after === 'number' ? init.dead_after * 1000 : undefined;
  session = new ChatSession({ ws: init.ws, ticket: init.ticket, deskKey: init.desk_key, deadAfter },
    { who: a.who, what: a.what, danger: a.danger, lang: a.lang }, {
      onWelcome: (exitToken) => parent.postMessage({ t: 'session', exit_token: exitToken }, '*'),
      onStatus: (state, position, operator) => view.setStatus(state, position, operator),
      onReconnecting: () => view.setStatus('reconnecting'),
      onHandover: () => view.addHandover(),
      onMessage: (m) => view.addIncoming(m),
      onAck: (id, seq) => view.ack(id, seq),
      onFailed: (id) => view.failed(id),
      onNotice: (code, message) => view.showNotice(t('notice', { message: message || code })),
      onTicketExpired: () => {
        view.showNotice(t('expired'));
        parent.postMessage({ t: 'ticket' }, '*');
      },
      onLost: () => view.setStatus('lost'),
    });
  session.connect();
  view.focus();
}

/** Quick exit from inside: tell the server, then let the loader leave the page. */
function leave() {
  // The loader first: it blanks the page and leaves even if what follows fails.
  parent.postMessage({ t: 'exit' }, '*');
  try {
    forgetAll();
  } catch {
    // nothing left to protect
  }
}

function forgetAll() {
  session?.exit();
  session = null;
  init = null;
  main.replaceChildren();
}
