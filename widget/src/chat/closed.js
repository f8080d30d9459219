// Nobody can answer now: the service is outside its hours, or no operator is
// connected. Said before the pre-chat, instead of queueing the person in
// silence: the emergency numbers, when to come back, "try again", and "I have a
// code" for a person coming back to a conversation. No conversation is made.
import { h } from '../shared/dom.js';

/**
 * @param {(key: string, vars?: Record<string, string | number>) => string} t
 * @param {{reason?: unknown, opens?: unknown}} service from the ticket (web/floor_api.py)
 * @param {string} lang the interface's language, for the date
 * @param {{onRetry: () => void, onHaveCode?: () => void}} on
 */
export function renderClosed(t, service, lang, on) {
  const closed = service.reason === 'closed';
  const when = typeof service.opens === 'string' ? formatWhen(service.opens, lang) : '';
  const retry = h('button', { type: 'button', className: 'pnav-button', 'data-pnav': 'closed-retry' }, t('closed.retry'));
  retry.addEventListener('click', () => {
    retry.disabled = true;
    on.onRetry();
  });
  const code = on.onHaveCode && h('button', { type: 'button', className: 'pnav-button pnav-button--link', 'data-pnav': 'closed-have-code' }, t('haveCode'));
  if (code && on.onHaveCode) code.addEventListener('click', on.onHaveCode);
  return h('section', { className: 'pnav-closed', 'data-pnav': 'closed', 'data-reason': closed ? 'closed' : 'nobody', 'aria-labelledby': 'pnav-closed-title' },
    h('h2', { id: 'pnav-closed-title', tabIndex: -1 }, t(closed ? 'closed.closedTitle' : 'closed.nobodyTitle')),
    h('p', {}, t(closed ? 'closed.closed' : 'closed.nobody')),
    h('p', { className: 'pnav-emergency', 'data-pnav': 'emergency' }, t('dangerNumbers')),
    h('p', {}, t('closed.helplines')),
    h('p', { 'data-pnav': 'closed-when' }, when ? t('closed.comeBack', { when }) : t('closed.comeBackLater')),
    retry, code);
}

/** "Monday 8:00" style, in the person's language and time zone. @param {string} iso @param {string} lang */
function formatWhen(iso, lang) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  try {
    return d.toLocaleString(lang, { weekday: 'long', hour: '2-digit', minute: '2-digit' });
  } catch {
    return d.toISOString().slice(0, 16).replace('T', ' ');
  }
}
