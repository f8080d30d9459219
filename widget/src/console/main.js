// Operator console entry point: login, then the desk (queue + conversations)
// over one reconnecting websocket. Keys live in memory only; a reload means a
// new login, by design.
import { consoleStrings, chatStrings, translator, uiLang } from '../shared/i18n.js';
import { login, logout, LoginError } from './login.js';
import { Desk } from './desk.js';
import { QueueView } from './queue.js';
import { ConversationsView } from './conversations.js';
import { AttentionView } from './attention.js';
import { Translations } from './translate.js';
import { Supervision } from './supervision.js';
import { CannedAdmin, CannedReplies, cannedPicker } from './canned.js';
import { OperatorsAdmin } from './operators.js';
import { available as caseworkAvailable } from './casework.js';
import { emergencyTool } from './emergency.js';
import { reportTool } from './report.js';
import { referralTool, sendCard } from './referral.js';

const lang = uiLang(navigator.language, 'en');
const t = translator(consoleStrings, lang);
// who/what labels are shared with the chat's pre-chat form.
const label = translator(chatStrings, lang);

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
};

/** @type {{desk: Desk, queue: QueueView, conversations: ConversationsView, attention: AttentionView, cannedAdmin: CannedAdmin, operatorsAdmin: OperatorsAdmin, staff: Supervision} | null} */
let session = null;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let noticeTimer;

document.documentElement.lang = lang;
document.title = t('title');
for (const el of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-i18n]'))) {
  el.textContent = t(/** @type {string} */ (el.dataset.i18n));
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
    startDesk(result.operator, result.deskKeys);
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
 */
function startDesk(operator, deskKeys) {
  ui.login.hidden = true;
  ui.desk.hidden = false;
  ui.logout.hidden = false;
  const queue = new QueueView($('queue'), $('queue-empty'), {
    t, label, onAccept: (conv) => desk.accept(conv), onCloseAbuse: (convs) => desk.closeAsAbuse(convs),
  });
  /** @param {string} key @param {string} to @param {string} note */
  const transfer = (key, to, note) => {
    const problem = desk.transfer(key, to, note);
    return problem === null ? null : problem === 'noKey' ? 'transferNoKey' : problem === 'tooLong' ? 'transferTooLong'
      : problem === 'offline' ? 'transferOffline' : 'error.not_yours';
  };
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
      // Casework (emergency.js, report.js, referral.js): which backends exist is asked once.
      emergencyTool({ t, available: casework }),
      reportTool({ t, label, available: casework }),
      referralTool({ t, lang, send: (c, card) => sendCard(desk, conversations, c, card) }),
    ],
    onSend: (key, text) => desk.send(key, text),
    onClose: (key, outcome) => desk.close(key, outcome),
    onDismiss: (key) => desk.dismiss(key),
    onTransfer: transfer,
  });
  const attention = new AttentionView($('attention-section'), $('attention'), $('attention-empty'), { t, label, lang, onTransfer: transfer });
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
    },
    onMessage: (c, m) => conversations.message(c, m),
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
    onConnection: (state) => {
      ui.connection.dataset.state = state;
      ui.connection.textContent = state === 'open' ? t('connected') : state === 'retrying' ? t('reconnecting') : '';
    },
    ...staff.events,
  });
  session = { desk, queue, conversations, attention, cannedAdmin, operatorsAdmin, staff };
  desk.start();
}

function stopDesk() {
  if (session) {
    session.desk.stop();
    session.queue.stop();
    session.conversations.clear();
    session.attention.stop();
    session.cannedAdmin.stop();
    session.operatorsAdmin.stop();
    session.staff.stop();
    session = null;
  }
  ui.desk.hidden = true;
  ui.logout.hidden = true;
  ui.stats.hidden = true;
  ui.login.hidden = false;
  ui.operator.textContent = '';
  ui.connection.textContent = '';
  ui.notice.hidden = true;
}

/**
 * @param {{username?: unknown, role?: unknown}} op
 * @param {AttentionView} attention shown to supervisors
 * @param {CannedAdmin} cannedAdmin shown to supervisors
 * @param {OperatorsAdmin} operatorsAdmin shown to supervisors
 */
function showOperator(op, attention, cannedAdmin, operatorsAdmin) {
  ui.operator.textContent = [op.username, op.role].filter((x) => typeof x === 'string' && x).join(' · ');
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
