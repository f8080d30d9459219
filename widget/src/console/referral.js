// "Send a referral", under each conversation: the directory's resources
// (national, then those local to a postal code; by kind), each with its
// numbers, hours and whether it is open now, and a button that sends it to
// the person as a referral card: an encrypted message (shared/message.js
// sealReferral) whose plain-text form is what the console shows, and what any
// client that only knows text messages shows.
import { h } from '../shared/dom.js';
import { sealReferral } from '../shared/message.js';
import { cardOf, cardLines, cardText } from '../shared/card.js';
import { lookup } from '../shared/i18n.js';
import { api, field } from './casework.js';

/**
 * @typedef {import('./casework.js').T} T
 * @typedef {import('./conversations.js').Tool} Tool
 * @typedef {import('./desk.js').Conversation} Conversation
 * @typedef {import('../shared/card.js').Card} Card
 * @typedef {{t: T, label: T, lang: string, send: (c: Conversation, card: Card) => boolean}} Context
 *   label: the chat's strings in the console's language (card labels shown here);
 *   send: false when nothing could be sent (no key, closed, observed)
 */

/** The chat's strings in a person's language, by conversation language, once fetched. */
/** @type {Map<string, {lookup: T, tag: string}>} */
const personTables = new Map();

/**
 * Fetch the chat's strings in the language of a conversation (the server picks
 * the shipped or machine-made table the chat itself would show).
 * @param {string} lang @param {typeof fetch} [get]
 */
export async function loadPersonTable(lang, get = fetch) {
  if (personTables.has(lang)) return;
  const r = await get(`/console/api/locale?section=chat&want=${encodeURIComponent(lang)}`, { credentials: 'same-origin', cache: 'no-store' });
  const body = await r.json();
  if (!r.ok || typeof body.strings !== 'object') throw new Error(`locale ${r.status}`);
  personTables.set(lang, { lookup: lookup(body.strings, body.dir), tag: body.tag });
}

// The directory's resource categories (pnav.sdk.directory.RESOURCE_CATEGORIES).
const CATEGORIES = ['emergency', 'domestic_violence', 'victim_support', 'cyber', 'child', 'legal', 'health', 'shelter', 'other'];

/**
 * The card's plain text in the person's interface language (the chat's own
 * labels), so that it reads the same as the card the chat draws.
 * @param {Card} card @param {string} lang the conversation's language
 */
function personText(card, lang) {
  const table = personTables.get(lang);
  return table ? cardText(card, table.lookup, table.tag) : null;
}

/**
 * Send a card to the person and show it in the conversation, after the
 * replies on their way. It is sent like a reply (desk.sendSealed): the
 * bubble is pending, and the card sent again after a reconnect, until the
 * server stored it.
 * @param {import('./desk.js').Desk} desk
 * @param {import('./conversations.js').ConversationsView} view
 * @param {Conversation} c @param {Card} card
 * @returns {boolean} false when it cannot be sent (no key, closed, observed)
 */
export function sendCard(desk, view, c, card) {
  const text = personText(card, c.lang);
  if (text === null || !desk.canSend(c.key)) return false;
  const li = view.sendOther(c.key, text, () => desk.sendSealed(c.key, (k, id) => sealReferral(k, card, text, id)));
  if (li) li.dataset.kind = 'referral';
  return li !== null;
}

/** @param {Context} ctx @returns {Tool} */
export function referralTool(ctx) {
  return (c, id) => new ReferralPicker(ctx, c, `${id}-referral`).el;
}

class ReferralPicker {
  /** @param {Context} ctx @param {Conversation} c @param {string} id */
  constructor(ctx, c, id) {
    const { t } = ctx;
    this.ctx = ctx;
    this.c = c;
    this.postal = field(`${id}-postal`, t('referral.postalCode'), 'referral-postal-code', { inputMode: 'numeric', maxLength: 5, size: 6 });
    this.category = h('select', { id: `${id}-category`, 'data-pnav': 'referral-category' },
      h('option', { value: '' }, t('referral.all')), ...CATEGORIES.map((k) => h('option', { value: k }, t(`resource.${k}`))));
    const search = h('button', { type: 'submit', className: 'c-button', 'data-pnav': 'referral-search' }, t('referral.search'));
    this.status = h('p', { className: 'c-lookup', 'data-pnav': 'referral-status', role: 'status' });
    this.list = h('ul', { className: 'c-resources', 'data-pnav': 'referral-list' });
    const form = h('form', { className: 'c-casework__form c-casework__form--row', noValidate: true },
      this.postal.el, h('p', { className: 'c-field' }, h('label', { htmlFor: this.category.id }, t('referral.category')), this.category), search);
    this.el = h('details', { className: 'c-casework', 'data-pnav': 'referral' },
      h('summary', {}, t('referral.title')), form, this.status, this.list);
    this.asked = 0;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.load();
    });
    this.category.addEventListener('change', () => this.load());
    // National resources as soon as the picker is opened the first time.
    this.el.addEventListener('toggle', () => {
      if (this.el.open && this.asked === 0) this.load();
    });
  }

  /** @private */
  async load() {
    const t = this.ctx.t;
    const n = ++this.asked;
    this.status.textContent = t('referral.loading');
    const q = new URLSearchParams();
    if (this.postal.input.value.trim()) q.set('postal_code', this.postal.input.value.trim());
    if (this.category.value) q.set('category', this.category.value);
    // The person's labels first: a card goes out in their language or not at all.
    const [a] = await Promise.all([api(`resources?${q}`), loadPersonTable(this.c.lang).catch(() => {})]);
    if (n !== this.asked) return;
    if (a.status !== 200 || !Array.isArray(a.body.resources)) {
      this.list.replaceChildren();
      this.status.textContent = a.status === 0 ? t('casework.noAnswer') : t('casework.error', { message: String(a.body.error ?? a.status) });
      return;
    }
    const items = a.body.resources.filter((r) => r && typeof r === 'object');
    this.status.textContent = items.length ? '' : t('referral.none');
    this.list.replaceChildren(...items.map((r) => this.item(r)).filter((x) => x !== null));
  }

  /** @private @param {Record<string, unknown>} r @returns {HTMLLIElement | null} */
  item(r) {
    const { t, lang } = this.ctx;
    const card = cardOf(r);
    if (!card) return null;
    const labels = this.ctx.label;
    const open = r.open_now === true ? 'open' : r.open_now === false ? 'closed' : 'unknown';
    const send = h('button', { type: 'button', className: 'c-button c-button--primary', 'data-pnav': 'referral-send' }, t('referral.send'));
    const li = h('li', { className: 'c-resource', 'data-pnav': 'referral-item', 'data-id': String(r.id ?? ''), 'data-open': open },
      h('p', { className: 'c-resource__name' }, h('strong', {}, card.name),
        ' · ', t(r.national === true ? 'referral.national' : 'referral.local'),
        open !== 'unknown' && h('span', { className: `c-resource__open c-resource__open--${open}` }, ` · ${t(`referral.${open}`)}`),
        r.example === true && h('span', { className: 'c-resource__example' }, ` · ${t('casework.example')}`)),
      card.description && h('p', { className: 'c-resource__description' }, card.description),
      h('p', { className: 'c-resource__lines' }, cardLines(card, labels, lang).map((l) => labels('card.line', { label: l.label, value: l.value })).join(' · ')),
      send);
    send.addEventListener('click', () => {
      const sent = this.ctx.send(this.c, card);
      this.status.textContent = sent ? t('referral.sent', { name: card.name }) : t('referral.notSent');
    });
    return li;
  }
}
