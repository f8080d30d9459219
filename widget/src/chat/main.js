// The chat app, inside the loader's sandboxed srcdoc iframe. Its origin is
// opaque: it has no storage and must not try any. It talks to the partner page
// only through postMessage with the loader, and to the server over one websocket.
import { chatStrings, translator, uiLang } from '../shared/i18n.js';
import { fromBase64 } from '../shared/crypto.js';
import { h } from '../shared/dom.js';
import { renderPrechat } from './prechat.js';
import { ConversationView } from './conversation.js';
import { ChatSession } from './session.js';
import { Duress } from './duress.js';
import { resumeParams, ResumeOffer, renderCodeEntry } from './resume.js';
import { solveProofOfWork } from './proof-of-work.js';

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
 * @property {unknown} [resume] the resume-code KDF parameters (chat/resume.js)
 * @property {unknown} [pow] the proof-of-work challenge (chat/proof-of-work.js)
 */

/** @type {Init | null} */
let init = null;
/** @type {import('./prechat.js').PrechatAnswers} */
const answers = { who: '', what: '', danger: false, lang: 'fr', writes: '' };
/** @type {ChatSession | null} */
let session = null;
/** @type {Promise<import('./proof-of-work.js').Solution | null>} the current ticket's proof of work */
let powSolution = Promise.resolve(null);
/** @type {ResumeOffer | null} "Get a code to come back later" */
let offer = null;
// The loader sets <html lang>; use it until init arrives.
let t = translator(chatStrings, uiLang(document.documentElement.lang));
/** @type {number[]} */
let shifts = [];

const main = h('main', { className: 'pnav-main' }, h('p', { className: 'pnav-status' }, t('loading')));
const title = h('h1', { className: 'pnav-title' });
const exitButton = h('button', { type: 'button', className: 'pnav-button pnav-button--exit', 'data-pnav': 'chat-exit' });
const closeButton = h('button', { type: 'button', className: 'pnav-button pnav-button--icon', 'data-pnav': 'minimise' }, '–');
// "Leave quickly": the first stop of the chat's tab order, shown only when
// focused. A button, not a link: a link in this sandboxed frame could only
// navigate the frame itself, which must never happen.
const leaveButton = h('button', { type: 'button', className: 'pnav-leave', 'data-pnav': 'chat-leave' });
const app = h('div', { className: 'pnav-app' });
const duress = new Duress(app, {
  onChange: (on) => {
    // A resume code on screen goes at once, for good: it is shown only once.
    if (on) offer?.hide(false);
    session?.duress(on);
  },
  onClose: () => parent.postMessage({ t: 'close' }, '*'),
});
app.append(h('header', { className: 'pnav-header' }, title, exitButton, duress.button, closeButton), main);
document.body.append(leaveButton, app, duress.view);
labelHeader();
leaveButton.addEventListener('click', leave);

exitButton.addEventListener('click', leave);
closeButton.addEventListener('click', () => parent.postMessage({ t: 'close' }, '*'));

// Shift three times within 2 s: keys pressed in here never reach the partner
// page, so forward the gesture to the loader. Any other key resets the count,
// so capitals typed in a message never trigger it. Physical keys only: a
// script's synthetic events have isTrusted false, and a phone's on-screen
// keyboard sends no keydown for its shift key, so neither can trigger it.
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
  // Solved while the person reads the pre-chat form; each ticket has its own.
  powSolution = solveProofOfWork(d.pow);
  if (first) {
    answers.lang = uiLang(d.lang);
    setLang(answers.lang);
    showPrechat();
  } else if (session) {
    // A fresh ticket we asked for after bad_ticket.
    session.retry(d.ticket, powSolution);
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
  leaveButton.textContent = t('leaveQuickly');
  duress.label(t);
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
    onHaveCode: resumeParams(init?.resume) ? showCodeEntry : undefined,
  }));
  main.querySelector('.pnav-prechat')?.append(h('p', { className: 'pnav-hint' }, t('duressHint')));
}

/** @param {import('./prechat.js').PrechatAnswers} a */
function start(a) {
  if (!init || session) return;
  const view = new ConversationView(t, { onSend: (text) => session?.send(text) ?? null });
  main.replaceChildren(view.el);
  if (a.danger) main.prepend(h('p', { className: 'pnav-emergency', 'data-pnav': 'emergency' }, t('dangerNumbers')));
  session = new ChatSession(sessionInit(init), { who: a.who, what: a.what, danger: a.danger, lang: a.writes || a.lang },
    sessionEvents(view, mountOffer(view)));
  session.connect();
  view.focus();
}

/** @param {Init} i */
function sessionInit(i) {
  const deadAfter = typeof i.dead_after === 'number' ? i.dead_after * 1000 : undefined;
  return { ws: i.ws, ticket: i.ticket, deskKey: i.desk_key, deadAfter, pow: powSolution };
}

/**
 * @param {ConversationView} view
 * @param {ResumeOffer | null} resume offered once the conversation is open, until it closes
 * @returns {import('./session.js').SessionEvents}
 */
function sessionEvents(view, resume) {
  return {
    onWelcome: (exitToken) => {
      parent.postMessage({ t: 'session', exit_token: exitToken }, '*');
      resume?.setAvailable(true);
    },
    onStatus: (state, position, operator, waitEstimate) => {
      view.setStatus(state, position, operator, waitEstimate);
      if (state === 'closed') resume?.setAvailable(false);
    },
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
    onLost: () => {
      view.setStatus('lost');
      resume?.setAvailable(false);
    },
  };
}

// ------------------------------------------------------------ resume codes (chat/resume.js)

/**
 * "Get a code to come back later" above the messages, when the ticket answer
 * carried usable resume parameters.
 * @param {ConversationView} view
 * @returns {ResumeOffer | null}
 */
function mountOffer(view) {
  const params = resumeParams(init?.resume);
  if (!params) return null;
  offer = new ResumeOffer(t, params, (keys) => session?.saveResumeCode(keys) ?? Promise.reject(new Error('offline')));
  view.el.insertBefore(offer.el, view.list);
  return offer;
}

/** "I have a code": the field; the conversation shows once the server welcomed the code. */
function showCodeEntry() {
  const params = resumeParams(init?.resume);
  if (!init || !params || session) return;
  const entry = renderCodeEntry(t, params, {
    onBack: () => {
      session?.abandon();
      session = null;
      showPrechat();
    },
    onKeys: (keys) => comeBack(keys, entry),
  });
  main.replaceChildren(entry.el);
  entry.focus();
}

/**
 * Connect with a code's keys (one socket for every try, so the server's
 * per-socket limit holds); on welcome, the whole history, then the chat goes on.
 * @param {import('./resume.js').ResumeKeys} keys
 * @param {import('./resume.js').CodeEntry} entry
 */
function comeBack(keys, entry) {
  if (!init) return;
  if (!session) {
    const view = new ConversationView(t, { onSend: (text) => session?.send(text) ?? null });
    const events = sessionEvents(view, mountOffer(view));
    session = new ChatSession(sessionInit(init), null, {
      ...events,
      onWelcome: (exitToken) => {
        entry.opened();
        main.replaceChildren(view.el);
        events.onWelcome(exitToken);
        view.focus();
      },
      onCodeRefused: (code, message) => entry.refused(code, message),
    });
  }
  session.useCode(keys);
}

/** Quick exit from inside: tell the server, then let the loader leave the page. */
function leave() {
  // Blank this frame at once, in this task, then the loader: it blanks the
  // page and leaves even if what follows fails.
  document.body.hidden = true;
  parent.postMessage({ t: 'exit' }, '*');
  try {
    forgetAll();
  } catch {
    // nothing left to protect
  }
}

function forgetAll() {
  offer?.forget();
  offer = null;
  session?.exit();
  session = null;
  init = null;
  main.replaceChildren();
}
