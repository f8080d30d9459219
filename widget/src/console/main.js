// Operator console entry point: login, then the desk (queue + conversations)
// over one reconnecting websocket. Keys live in memory only; a reload means a
// new login, by design. The floor (alerts.js, shortcuts.js, carry.js): sounds,
// title count, announcements and notifications; keyboard shortcuts; focus
// after login and after Accept; the console language kept with the account.
import { lookup } from '../shared/i18n.js';
import { fetchLocale, pageLocale } from './locale.js';
import { login, logout, LoginError } from './login.js';
import { Desk } from './desk.js';
import { QueueView } from './queue.js';
import { ConversationsView } from './conversations.js';
import { AttentionView } from './attention.js';
import { AlarmsView } from './alarms.js';
import { Translations } from './translate.js';
import { Supervision } from './supervision.js';
import { CannedAdmin, CannedReplies, cannedPicker } from './canned.js';
import { OperatorsAdmin } from './operators.js';
import { available as caseworkAvailable } from './casework.js';
import { emergencyTool } from './emergency.js';
import { reportTool } from './report.js';
import { referralTool, sendCard } from './referral.js';
import { Alerts, alertSettings } from './alerts.js';
import { Shortcuts } from './shortcuts.js';
import { carryTool } from './carry.js';
import { HelpView } from './help.js';
import { convKey } from './desk.js';
import { setArgon2Loader } from '../shared/crypto.js';
import { loadGlobal } from '../shared/load-script.js';

// Argon2id (hash-wasm and its wasm) is not in console.js: widget/argon2.js comes from
// the same server when the operator logs in, with this page's script nonce.
const own = /** @type {HTMLScriptElement} */ (document.currentScript);
setArgon2Loader(() => loadGlobal(new URL('../widget/argon2.js', own.src).href, 'pnavArgon2id', own.nonce));

// The console's strings come with the page, in one language (fr or en, from the
// browser's languages): the server puts them in <script id="pnav-locale">
// (src/pnav/server/web/locale_api.py). After login, the language kept with the
// account (console/locale.js fetches it). No bundle carries every language.
const page = pageLocale();
/** @type {string} */
let lang = page.tag;
let t = lookup(page.console, page.dir);
// who/what labels are shared with the chat's pre-chat form.
let label = lookup(page.chat, page.dir);
const CONSOLE_LANGS = ['en', 'fr'];

/** @param {string} name @returns {any} */
const $ = (name) => document.querySelector(`[data-pnav="${name}"]`);

const ui = {
  login: /** @type {HTMLElement} */ ($('login')),
  form: /** @type {HTMLFormElement} */ ($('login-form')),
  user: /** @type {HTMLInputElement} */ ($('login-user')),
  password: /** @type {HTMLInputElement} */ ($('login-password')),
  submit: /** @type {HTMLButtonElement} */ ($('login-submit')),
  status: /** @type {HTMLElement} */ ($('login-status')),
  error: /** @type {HTMLElement} */ ($('login-error')),
  desk: /** @type {HTMLElement} */ ($('desk')),
  operator: /** @type {HTMLElement} */ ($('operator')),
  connection: /** @type {HTMLElement} */ ($('connection')),
  logout: /** @type {HTMLButtonElement} */ ($('logout')),
  stats: /** @type {HTMLAnchorElement} */ ($('stats')), // supervisors only (the server checks too)
  cannedAdmin: /** @type {HTMLDetailsElement} */ ($('canned-admin')), // supervisors only, likewise
  operatorsAdmin: /** @type {HTMLDetailsElement} */ ($('operators-admin')), // supervisors only, likewise
  notice: /** @type {HTMLElement} */ ($('notice')),
  announcer: /** @type {HTMLElement} */ ($('announcer')),
  settingsSlot: /** @type {HTMLElement} */ ($('settings-slot')),
  settingsMenu: /** @type {HTMLDetailsElement} */ ($('settings-menu')),
  shortcutsOpen: /** @type {HTMLButtonElement} */ ($('shortcuts-open')),
  floorDanger: /** @type {HTMLElement} */ ($('floor-danger')),
  floorDangerSection: /** @type {HTMLElement} */ ($('floor-danger-section')),
};

/** @type {{desk: Desk, queue: QueueView, conversations: ConversationsView, attention: AttentionView, alarms: AlarmsView, cannedAdmin: CannedAdmin, operatorsAdmin: OperatorsAdmin, staff: Supervision, alerts: Alerts, shortcuts: Shortcuts, help: HelpView, operator: {username?: string, role?: string}, deskKeys: Map<string, Uint8Array>, settings: Record<string, any>} | null} */
let session = null;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let noticeTimer;

/**
 * Use a console locale: its strings, then the page's own texts (data-i18n).
 * @param {import('./locale.js').ConsoleLocale} loc
 */
function applyLocale(loc) {
  lang = loc.tag;
  t = lookup(loc.console, loc.dir);
  label = lookup(loc.chat, loc.dir);
  document.documentElement.lang = lang;
  document.documentElement.dir = loc.dir;
  document.title = t('title');
  for (const el of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-i18n]'))) {
    el.textContent = t(/** @type {string} */ (el.dataset.i18n));
  }
}
applyLocale(page);

/** Fetch another console language and use it; false if it could not be had. @param {string} l */
async function setLang(l) {
  if (l === lang) return true;
  try {
    applyLocale(await fetchLocale(l));
    return true;
  } catch {
    return false;
  }
}

ui.form.addEventListener('submit', async (e) => {
  e.preventDefault();
  if (ui.submit.disabled) return;
  const username = ui.user.value.trim();
  const password = ui.password.value;
  ui.error.textContent = '';
  if (!username || !password) {
    ui.error.textContent = t('badCredentials');
    return;
  }
  ui.submit.disabled = true;
  try {
    const result = await login(username, password, () => {
      ui.status.textContent = t('unlocking');
    });
    ui.password.value = '';
    const chosen = result.settings.lang;
    if (typeof chosen === 'string' && CONSOLE_LANGS.includes(chosen)) await setLang(chosen);
    startDesk(result.operator, result.deskKeys, result.settings);
    // Focus goes to the queue: the next thing an operator does is take someone.
    session?.queue.focus();
  } catch (err) {
    ui.password.value = '';
    ui.error.textContent = t(err instanceof LoginError ? err.reason : 'serverError');
    ui.password.focus();
  } finally {
    ui.status.textContent = '';
    ui.submit.disabled = false;
  }
});

ui.logout.addEventListener('click', async () => {
  stopDesk();
  await logout();
  ui.user.focus();
});

/**
 * @param {{username?: string, role?: string}} operator
 * @param {Map<string, Uint8Array>} deskKeys
 * @param {Record<string, any>} settings from the login (floor_api.py): lang, danger_realert_after
 */
function startDesk(operator, deskKeys, settings) {
  ui.login.hidden = true;
  ui.desk.hidden = false;
  ui.logout.hidden = false;
  ui.shortcutsOpen.hidden = false;
  ui.settingsMenu.hidden = false;
  const alerts = new Alerts({ t, announcer: ui.announcer, baseTitle: () => t('title') });
  const realert = typeof settings.danger_realert_after === 'number' ? settings.danger_realert_after : 60;
  const queue = new QueueView($('queue'), $('queue-empty'), {
    t, label, onAccept: (conv) => desk.accept(conv), onCloseAbuse: (convs) => desk.closeAsAbuse(convs),
    realertAfter: realert * 1000,
    onArrivals: (fresh, all) => {
      // A psychologist takes no one from the queue: their alerts are the help calls.
      if (operator.role === 'psychologist') return;
      alerts.setWaiting(all.length);
      const danger = fresh.filter((i) => i.danger === true).length;
      if (danger > 0) alerts.alert('danger', t('alert.danger', { count: danger }));
      else if (fresh.length > 0) alerts.alert('arrival', t('alert.arrival', { count: fresh.length }));
    },
    onOverdue: (overdue, fresh) => {
      showOverdue(overdue);
      if (fresh.length > 0) alerts.alert('realert', t('alert.realert', { count: overdue.length, seconds: realert }));
    },
  });
  /** @param {string} key @param {string} to @param {string} note */
  const transfer = (key, to, note) => {
    const problem = desk.transfer(key, to, note);
    return problem === null ? null : problem === 'noKey' ? 'transferNoKey' : problem === 'tooLong' ? 'transferTooLong'
      : problem === 'offline' ? 'transferOffline' : 'error.not_yours';
  };
  const help = new HelpView($('help-requests-section'), $('help-requests'), {
    t, label,
    onJoin: (conv) => desk.join(conv),
    onCall: () => alerts.alert('danger', t('alert.help')),
  });
  const translations = new Translations(lang);
  translations.check();
  const casework = caseworkAvailable();
  const canned = new CannedReplies();
  canned.load();
  const cannedAdmin = new CannedAdmin(ui.cannedAdmin, canned, { t, lang });
  const operatorsAdmin = new OperatorsAdmin(ui.operatorsAdmin, { t, lang });
  // Private notes, observing and taking over, the floor (supervision.js).
  const staff = new Supervision({
    t, label, lang, notice, desk: () => desk, conversations: () => conversations,
    floor: { section: $('floor-section'), queue: $('floor-queue'), list: $('floor-operators') },
  });
  const conversations = new ConversationsView($('conversation-tabs'), $('conversation-panels'), $('conversations-empty'), {
    t, label, lang,
    // Machine translation into and out of the operator's interface language.
    translations,
    // One element per tool under each conversation (conversations.js, Tool).
    tools: [
      ...staff.tools,
      cannedPicker(canned, { t, lang }),
      // Words the person wrote, carried into the casework forms (carry.js).
      carryTool({ t }),
      help.tool((key) => desk.askHelp(key)),
      // Casework (emergency.js, report.js, referral.js): which backends exist is asked once.
      emergencyTool({ t, available: casework }),
      reportTool({ t, label, available: casework }),
      referralTool({ t, label, lang, send: (c, card) => sendCard(desk, conversations, c, card) }),
    ],
    onSend: (key, text) => desk.send(key, text),
    onUnread: (key, n) => alerts.setUnread(key, n),
    toolsToggle: $('tools-toggle'),
    onClose: (key, outcome) => desk.close(key, outcome),
    onDismiss: (key) => {
      help.forget(key);
      desk.dismiss(key);
    },
    onTransfer: transfer,
  });
  const attention = new AttentionView($('attention-section'), $('attention'), $('attention-empty'), { t, label, lang, onTransfer: transfer });
  // The floor's alarms (alarms.js): the server sends them to floor consoles only.
  const alarms = new AlarmsView($('alarms-section'), $('alarms'), $('alarms-live'), { t, lang });
  showOperator(operator, attention, cannedAdmin, operatorsAdmin);
  const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/console/ws`;
  const desk = new Desk(url, deskKeys, {
    onOperator: (op) => {
      showOperator(op, attention, cannedAdmin, operatorsAdmin);
      queue.allowAbuseClose(op.role === 'supervisor');
    },
    onClosedAbuse: (closed, skipped) => notice(t('closedAsAbuse', { count: closed, skipped })),
    onQueue: (items) => queue.render(items),
    onQueueChange: (added, removed) => queue.change(added, removed),
    // Bring a conversation forward only when this operator just accepted it.
    onConversation: (c, _isNew, accepted) => {
      conversations.upsert(c, accepted);
      staff.conversation(c);
      // Just accepted: the operator's next act is to write.
      if (accepted) conversations.focusReply(c.key);
    },
    onMessage: (c, m) => {
      conversations.message(c, m);
      // A new message (not history sent again) in a conversation not in front of the operator.
      if (m.from === 'person' && !c.observing && Date.now() - m.ts < 30000 && !conversations.inFront(c.key)) {
        conversations.markUnread(c.key);
        alerts.alert('message', t('alert.message'));
      }
    },
    onAck: (c, id, seq) => conversations.ack(c, id, seq),
    onFailed: (c, id) => conversations.failed(c, id),
    onPresence: (c) => conversations.presence(c),
    onDuress: (c) => conversations.duress(c),
    onClosed: (c) => conversations.closed(c),
    onTransferred: (key, to, held) => {
      if (held) {
        conversations.remove(key);
        staff.forget(key);
      }
      attention.remove(key);
      notice(t('transferred', { to }));
    },
    onAttention: (items) => attention.render(items),
    onLost: (c) => conversations.lost(c),
    onTransferDropped: (key) => {
      const text = t('transferDropped');
      if (!conversations.transferFailed(key, text)) attention.transferFailed(key, text);
    },
    onError: (code, message, conv, transfer) => {
      if (code === 'unauthorised' && conv === undefined) {
        // The session ended or the account was removed: nothing more comes over
        // this socket; keys are wiped and the login form says why.
        stopDesk();
        ui.error.textContent = t('sessionEnded', { message: message || code });
        return;
      }
      // The server's sentence (English) follows ours when it says more.
      const text = code === 'taken' ? t('taken')
        : ['no_operator', 'forbidden', 'not_yours'].includes(code) ? (message ? `${t(`error.${code}`)} (${message})` : t(`error.${code}`))
          : t('notice', { message: message || code });
      // A refused transfer is said next to the transfer control that sent it.
      if (transfer && conv !== undefined && (conversations.transferFailed(conv, text) || attention.transferFailed(conv, text)
        || staff.transferFailed(conv, text))) return;
      notice(text);
    },
    onAlarm: (f) => alarms.take(f),
    onConnection: (state) => {
      if (state !== 'open') alarms.reset(); // the server says again what is up on reconnect
      ui.connection.dataset.state = state;
      ui.connection.textContent = state === 'open' ? t('connected') : state === 'retrying' ? t('reconnecting') : '';
    },
    ...staff.events,
    onHelp: (f, key) => help.take(f, key),
  });
  const shortcuts = new Shortcuts(t, {
    takeNext: () => {
      if (!queue.takeNext()) notice(t('shortcut.nobodyWaiting'));
    },
    switchBy: (step) => conversations.selectBy(step),
    switchTo: (n) => conversations.show(conversations.keys()[n - 1]),
    focusReply: () => conversations.focusReply(),
    emergency: () => conversations.openTool('emergency'),
    report: () => conversations.openTool('report'),
    close: () => conversations.focusClose(),
    queue: () => queue.focus(),
  });
  ui.settingsSlot.replaceChildren(alertSettings({
    t, alerts, lang, langs: CONSOLE_LANGS,
    onLang: (l) => changeLang(l),
  }));
  session = { desk, queue, conversations, attention, alarms, cannedAdmin, operatorsAdmin, staff, alerts, shortcuts, help, operator, deskKeys, settings };
  desk.start();
}

/**
 * The operator chose another language: kept with their account, then the desk
 * starts again in it (the same keys, taken from memory; the server sends every
 * conversation again). @param {string} l
 */
async function changeLang(l) {
  if (!session || !CONSOLE_LANGS.includes(l)) return;
  let saved = false;
  try {
    const r = await fetch('/console/api/me', {
      method: 'PUT', credentials: 'same-origin', cache: 'no-store',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ lang: l }),
    });
    saved = r.ok;
  } catch {
    saved = false;
  }
  if (!saved || !(await setLang(l)) || !session) {
    notice(t('settings.langFailed'));
    return;
  }
  const { operator, settings } = session;
  // Copies: stopping the desk wipes the keys it holds.
  const keys = new Map([...session.deskKeys].map(([id, sk]) => [id, sk.slice()]));
  stopDesk();
  startDesk(operator, keys, { ...settings, lang: l });
  ui.settingsMenu.open = true;
  /** @type {HTMLElement} */ ($('console-lang') ?? ui.settingsSlot).focus();
}

/**
 * Supervisors' floor: the DANGER conversations still waiting past the re-alert delay.
 * @param {Array<Record<string, any>>} overdue
 */
function showOverdue(overdue) {
  ui.floorDanger.replaceChildren(...overdue.map((i) => {
    const li = document.createElement('li');
    li.className = 'c-floor-danger-item';
    li.dataset.pnav = 'floor-danger-item';
    li.dataset.conv = convKey(i.conv) ?? '';
    li.textContent = t('floorDangerItem', {
      who: label(`who.${i.who}`), what: label(`what.${i.what}`),
      time: Math.floor((Date.now() - Number(i.waiting_since)) / 1000),
    });
    return li;
  }));
  ui.floorDangerSection.hidden = overdue.length === 0;
}

function stopDesk() {
  if (session) {
    session.desk.stop();
    session.queue.stop();
    session.conversations.clear();
    session.attention.stop();
    session.alarms.reset();
    session.cannedAdmin.stop();
    session.operatorsAdmin.stop();
    session.staff.stop();
    session.alerts.stop();
    session.shortcuts.stop();
    session.help.stop();
    session = null;
  }
  ui.settingsSlot.replaceChildren();
  ui.settingsMenu.hidden = true;
  ui.settingsMenu.open = false;
  ui.shortcutsOpen.hidden = true;
  delete document.body.dataset.role;
  ui.floorDanger.replaceChildren();
  ui.floorDangerSection.hidden = true;
  ui.desk.hidden = true;
  ui.logout.hidden = true;
  ui.stats.hidden = true;
  ui.login.hidden = false;
  ui.operator.textContent = '';
  ui.connection.textContent = '';
  ui.notice.hidden = true;
}

ui.shortcutsOpen.addEventListener('click', () => session?.shortcuts.help());

/**
 * @param {{username?: unknown, role?: unknown}} op
 * @param {AttentionView} attention shown to supervisors
 * @param {CannedAdmin} cannedAdmin shown to supervisors
 * @param {OperatorsAdmin} operatorsAdmin shown to supervisors
 */
function showOperator(op, attention, cannedAdmin, operatorsAdmin) {
  const role = typeof op.role === 'string' && op.role ? t(`role.${op.role}`) : '';
  ui.operator.textContent = [op.username, role].filter((x) => typeof x === 'string' && x).join(' · ');
  // A psychologist supports operators: no queue to take from, no take-over (console.css).
  document.body.dataset.role = typeof op.role === 'string' ? op.role : '';
  if (op.role === 'supervisor') attention.show(true);
  ui.stats.hidden = op.role !== 'supervisor';
  cannedAdmin.show(op.role === 'supervisor');
  operatorsAdmin.show(op.role === 'supervisor');
}

/** Non-fatal server errors: shown for a while, then cleared. @param {string} text */
function notice(text) {
  ui.notice.textContent = text;
  ui.notice.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => {
    ui.notice.hidden = true;
  }, 10000);
}

