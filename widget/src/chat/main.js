// The chat app, inside the loader's sandboxed srcdoc iframe. Its origin is
// opaque: it has no storage and must not try any. It talks to the partner page
// only through postMessage with the loader, and to the server over one websocket.
import { lookup, wantedLanguages } from '../shared/i18n.js';
import { loadLocale } from './locale.js';
import { fromBase64, setArgon2Loader } from '../shared/crypto.js';
import { h } from '../shared/dom.js';
import { renderPrechat } from './prechat.js';
import { ConversationView } from './conversation.js';
import { ChatSession } from './session.js';
import { Duress } from './duress.js';
import { resumeParams, ResumeOffer, renderCodeEntry } from './resume.js';
import { onShiftThrice } from '../shared/quick-exit.js';
import { renderClosed } from './closed.js';
import { scriptURL } from './script-url.js';
import { loadGlobal } from '../shared/load-script.js';

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
 * @property {{open?: unknown, reason?: unknown, opens?: unknown}} [service] whether anyone
 *   can answer now; closed: the chat says so instead of its pre-chat (closed.js)
 */

// Argon2id (resume codes only) and the proof-of-work solver are not in this bundle:
// they come from the same server, under the same CSP and no-store, when first needed
// (a code made or typed; a ticket's challenge), never before the first screen.
const base = /** @type {HTMLScriptElement} */ (document.currentScript).src;
/** @param {string} file @param {string} name */
const part = (file, name) => loadGlobal(scriptURL(new URL(file, base).href), name);
setArgon2Loader(() => part('argon2.js', 'pnavArgon2id'));
/** @type {Promise<typeof import('./proof-of-work.js').solveProofOfWork> | null} */
let powSolver = null;
/** @param {unknown} challenge @returns {Promise<import('./proof-of-work.js').Solution | null>} */
function solveProofOfWork(challenge) {
  if (!challenge) return Promise.resolve(null);
  powSolver ||= part('pow.js', 'pnavSolvePow');
  return powSolver.then((solve) => solve(challenge), () => {
    powSolver = null; // a failed load (network) is tried again with the next ticket
    return null;
  });
}

/** @type {Init | null} */
let init = null;
/** @type {import('./prechat.js').PrechatAnswers} */
const answers = { who: '', what: '', danger: false, lang: '', writes: '' };
/** @type {ChatSession | null} */
let session = null;
/** @type {Promise<import('./proof-of-work.js').Solution | null>} the current ticket's proof of work */
let powSolution = Promise.resolve(null);
/** @type {ResumeOffer | null} "Get a code to come back later" */
let offer = null;
let prechatShown = false;
// The interface's strings: one language, fetched from the server. The loader sets
// <html lang> to the partner page's language, which goes first; the browser's follow.
/** @type {import('./locale.js').ChatLocale | null} */
let locale = null;
let t = lookup({});
const wanted = wantedLanguages(document.documentElement.lang, navigator.languages);
// Once more on a failed load (a dropped request). Still nothing: the loader says the
// chat is unavailable, in the page's language (never a silent switch to English).
const firstLocale = loadLocale(wanted).catch(() => loadLocale(wanted));

const main = h('main', { className: 'pnav-main', 'aria-busy': 'true' }, h('p', { className: 'pnav-status' }, '…'));
const title = h('h1', { className: 'pnav-title' });
const exitButton = h('button', { type: 'button', className: 'pnav-button pnav-button--exit', 'data-pnav': 'chat-exit' });
const closeButton = h('button', { type: 'button', className: 'pnav-button pnav-button--icon', 'data-pnav': 'minimise' }, '–');
// "Leave quickly": the first stop of the chat's tab order, shown only when
// focused. A button, not a link: a link in this sandboxed frame could only
// navigate the frame itself, which must never happen.
const leaveButton = h('button', { type: 'button', className: 'pnav-leave', 'data-pnav': 'chat-leave' });
const app = h('div', { className: 'pnav-app' });
// "Translated by machine": shown under the header while a machine-made table is in use.
const machineNote = h('p', { className: 'pnav-machine', 'data-pnav': 'machine-translated', hidden: true });
const duress = new Duress(app, {
  onChange: (on) => {
    // A resume code on screen goes at once, for good: it is shown only once.
    if (on) offer?.hide(false);
    session?.duress(on);
  },
  onClose: () => parent.postMessage({ t: 'close' }, '*'),
});
// Hidden until its words arrive (a few milliseconds): never a control named by a key.
// The banner's quick exit, on the partner's page, is there all along.
const header = h('header', { className: 'pnav-header', hidden: true }, title, exitButton, duress.button, closeButton);
leaveButton.hidden = true;
app.append(header, machineNote, main);
document.body.append(leaveButton, app, duress.view);
leaveButton.addEventListener('click', leave);

exitButton.addEventListener('click', leave);
closeButton.addEventListener('click', minimise);
firstLocale.then(setLocale, () => parent.postMessage({ t: 'unavailable' }, '*'));

// Opened again: the loader focuses this frame; the person lands where they were
// going (the message box in a conversation, else the first control of the view).
// Not when the frame gets focus from a click or a touch: that goes where it points.
let pointing = false;
addEventListener('pointerdown', () => { pointing = true; }, true);
addEventListener('pointerup', () => setTimeout(() => { pointing = false; }), true);
addEventListener('focus', () => {
  const active = document.activeElement;
  if (pointing || (active && active !== document.body)) return;
  /** @type {HTMLElement | null} */
  const target = duress.active ? duress.view
    : main.querySelector('[data-pnav="message-input"]:not(:disabled), [data-pnav="resume-input"], [data-pnav="prechat-lang"]');
  target?.focus();
});

// Escape minimises the chat (the partner's page gets its focus back from the
// loader); a native control that uses Escape itself (an open select) keeps it.
addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && !e.defaultPrevented && !e.isComposing) minimise();
});

// Shift three times within 2 s (shared/quick-exit.js): keys pressed in here
// never reach the partner page, so the gesture is forwarded to the loader.
onShiftThrice(window, leave);

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
    firstLocale.then(() => {
      if (init === d) showStart();
    }, () => {});
  } else if (!session && main.querySelector('[data-pnav="closed"]')) {
    // "Try again" on the closed view fetched a fresh ticket, with who is on duty now.
    showStart();
  } else if (session) {
    // A fresh ticket we asked for after bad_ticket.
    session.retry(d.ticket, powSolution);
  }
}

function minimise() {
  parent.postMessage({ t: 'close' }, '*');
}

/**
 * Show the interface in a language the server sent: strings, lang and dir of the
 * whole document (the layout mirrors for right-to-left scripts).
 * @param {import('./locale.js').ChatLocale} next
 */
function setLocale(next) {
  locale = next;
  t = lookup(next.strings, next.dir);
  answers.lang = next.tag;
  document.documentElement.lang = next.tag;
  document.documentElement.dir = next.dir;
  machineNote.hidden = !next.machine;
  machineNote.textContent = next.machine ? t('machineTranslated') : '';
  main.removeAttribute('aria-busy');
  labelHeader();
  header.hidden = false;
  leaveButton.hidden = false;
}

/** The person picked another interface language: fetch it, then redraw the pre-chat. @param {string} tag */
async function changeLanguage(tag) {
  try {
    setLocale(await loadLocale([tag]));
  } catch {
    return; // unreachable for now: the current language stays, nothing breaks
  }
  showPrechat();
  /** @type {HTMLElement | null} */ (main.querySelector('[data-pnav="prechat-lang"]'))?.focus();
}

function labelHeader() {
  title.textContent = t('title');
  exitButton.textContent = t('quickExit');
  leaveButton.textContent = t('leaveQuickly');
  duress.label(t);
  closeButton.setAttribute('aria-label', t('minimise'));
  closeButton.title = t('minimise');
}

/** The pre-chat, or, with nobody to answer, the closed view (no conversation is made). */
function showStart() {
  if (init?.service && init.service.open === false) {
    main.replaceChildren(renderClosed(t, init.service, answers.lang, {
      onRetry: () => parent.postMessage({ t: 'ticket' }, '*'),
      onHaveCode: resumeParams(init?.resume) ? showCodeEntry : undefined,
    }));
    /** @type {HTMLElement | null} */ (main.querySelector('h2'))?.focus();
    return;
  }
  showPrechat();
}

function showPrechat() {
  if (!locale) return;
  main.replaceChildren(renderPrechat(t, answers, locale, {
    onLang: (lang) => void changeLanguage(lang),
    onStart: start,
    onHaveCode: resumeParams(init?.resume) ? showCodeEntry : undefined,
  }));
  main.querySelector('.pnav-prechat')?.append(h('p', { className: 'pnav-hint' }, t('duressHint')));
  // Just opened (the loader focused the frame before its document was there): the
  // first control takes the focus, so a keyboard lands in the chat it opened.
  if (!prechatShown && document.activeElement === document.body) {
    window.focus();
    /** @type {HTMLElement | null} */ (main.querySelector('[data-pnav="prechat-lang"]'))?.focus();
  }
  prechatShown = true;
}

/** @param {import('./prechat.js').PrechatAnswers} a */
function start(a) {
  if (!init || session) return;
  const view = new ConversationView(t, viewEvents);
  main.replaceChildren(view.el);
  if (a.danger) main.prepend(h('p', { className: 'pnav-emergency', 'data-pnav': 'emergency' }, t('dangerNumbers')));
  session = new ChatSession(sessionInit(init), { who: a.who, what: a.what, danger: a.danger, lang: a.writes || a.lang },
    sessionEvents(view, mountOffer(view)));
  session.connect();
  view.focus();
}

/** @type {import('./conversation.js').ViewEvents} */
const viewEvents = {
  onSend: (text) => session?.send(text) ?? null,
  // The loader opens the tab, so that quick exit can close it again.
  onOpenSite: (url) => parent.postMessage({ t: 'open', url }, '*'),
};

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
    onNotice: (code, message, retryAfter) => view.showNotice(noticeText(code, message, retryAfter)),
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

/**
 * What the person reads for an error frame: the abuse limits in their language
 * (docs/protocol.md "Limits"), anything else as the server's sentence.
 * @param {string} code @param {string} message @param {number} [retryAfter] seconds
 */
function noticeText(code, message, retryAfter) {
  // With a conversation, rate_limited answers a message: it stays pending and goes again.
  if (code === 'rate_limited' && session?.token) return t('slowDown');
  if (code === 'rate_limited') return t('tooManyChats', { minutes: Math.max(1, Math.ceil((retryAfter ?? 60) / 60)) });
  if (code === 'bad_pow') return t('startFailed');
  return t('notice', { message: message || code });
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
      showStart();
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
    const view = new ConversationView(t, viewEvents);
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
