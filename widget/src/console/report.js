// "Write a report" (signalement), under each conversation: category (the
// conversation's by default), facts, dates, place (its postal or commune code
// finds the competent territorial service, shown as soon as it is typed),
// people involved, and whether the person consents to be contacted and how.
// POST /console/api/report; the server records every submission in its audit
// log. The outcome shows like an emergency's.
import { h } from '../shared/dom.js';
import { deliver, field, placeFields, watchService, serviceText, showRefusal, DeliveryResult } from './casework.js';

/**
 * @typedef {import('./casework.js').T} T
 * @typedef {import('./conversations.js').Tool} Tool
 * @typedef {{t: T, label: T, available: Promise<import('./casework.js').Available>}} Context
 */

// The conversation categories (pnav.sdk.store.WHAT): services take reports by them.
const CATEGORIES = ['sexual', 'sexist', 'domestic', 'intra_family', 'cyber_harassment', 'discrimination', 'other'];
const ROLES = ['victim', 'suspect', 'witness', 'other'];

/** @param {Context} ctx @returns {Tool} */
export function reportTool(ctx) {
  return (c, id) => {
    const el = new ReportForm(ctx, c.key, c.what, `${id}-report`).el;
    el.open = c.danger; // like the emergency form (emergency.js)
    return el;
  };
}

class ReportForm {
  /** @param {Context} ctx @param {string} conv @param {string} what @param {string} id */
  constructor(ctx, conv, what, id) {
    const { t, label } = ctx;
    this.t = t;
    this.conv = conv;
    this.id = id;
    this.category = h('select', { id: `${id}-category`, 'data-pnav': 'report-category' },
      ...CATEGORIES.map((k) => h('option', { value: k, selected: k === what }, label(`what.${k}`))));
    this.facts = field(`${id}-facts`, t('report.facts'), 'report-facts', { rows: 4 }, true);
    this.firstDate = field(`${id}-first`, t('report.firstDate'), 'report-first-date', { type: 'date' });
    this.lastDate = field(`${id}-last`, t('report.lastDate'), 'report-last-date', { type: 'date' });
    this.dates = field(`${id}-dates`, t('report.dates'), 'report-dates');
    this.place = placeFields(t, id, 'report', t('report.place'));
    this.service = h('p', { className: 'c-lookup', 'data-pnav': 'report-service', role: 'status' });
    this.peopleList = h('ol', { className: 'c-people', 'data-pnav': 'report-people' });
    this.personCount = 0;
    const addPerson = h('button', { type: 'button', className: 'c-button', 'data-pnav': 'report-add-person' }, t('report.addPerson'));
    this.consent = h('input', { type: 'checkbox', id: `${id}-consent`, 'data-pnav': 'report-consent' });
    this.contact = field(`${id}-contact`, t('report.contact'), 'report-contact', { disabled: true });
    this.error = h('p', { className: 'c-error', 'data-pnav': 'report-error', role: 'alert' });
    this.unavailable = h('p', { className: 'c-notice', 'data-pnav': 'report-unavailable', hidden: true }, t('report.unavailable'));
    this.send = h('button', { type: 'submit', className: 'c-button c-button--primary', 'data-pnav': 'report-send' }, t('report.send'));
    /** @type {Record<string, unknown> | null} */
    this.last = null;
    this.result = new DeliveryResult(t, 'report', () => {
      if (this.last) this.submit(this.last);
    });
    const form = h('form', { className: 'c-casework__form', noValidate: true },
      this.unavailable,
      h('p', { className: 'c-field' }, h('label', { htmlFor: this.category.id }, t('report.category')), this.category),
      this.facts.el, this.firstDate.el, this.lastDate.el, this.dates.el, this.place.el, this.service,
      h('fieldset', { className: 'c-fieldset' }, h('legend', {}, t('report.people')), this.peopleList, addPerson),
      h('p', { className: 'c-field c-field--check' }, this.consent, ' ', h('label', { htmlFor: this.consent.id }, t('report.consent'))),
      this.contact.el, this.error, this.send);
    this.el = h('details', { className: 'c-casework', 'data-pnav': 'report' }, h('summary', {}, t('report.title')), form, this.result.el);

    addPerson.addEventListener('click', () => this.addPerson());
    // The contact is only asked for, and only sent, with the person's consent.
    this.consent.addEventListener('change', () => {
      this.contact.input.disabled = !this.consent.checked;
      if (!this.consent.checked) this.contact.input.value = '';
    });
    const look = watchService(this.place.inputs, this.service, () => this.query(), 'service', (found) => (found ? serviceText(t, found) : t('report.noService')));
    this.category.addEventListener('change', look);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!this.send.disabled) this.submit(this.body());
    });
    ctx.available.then((a) => {
      if (a.report) return;
      this.unavailable.hidden = false;
      this.send.disabled = true;
    });
  }

  /** @private */
  addPerson() {
    const t = this.t;
    const n = ++this.personCount;
    const role = h('select', { id: `${this.id}-person-${n}-role`, 'data-pnav': 'report-person-role' },
      ...ROLES.map((r) => h('option', { value: r }, t(`report.role.${r}`))));
    const description = h('input', { id: `${this.id}-person-${n}-description`, className: 'c-input', 'data-pnav': 'report-person-description', autocomplete: 'off' });
    const remove = h('button', { type: 'button', className: 'c-button', 'data-pnav': 'report-remove-person' }, t('report.removePerson'));
    const li = h('li', { className: 'c-person', 'data-pnav': 'report-person' },
      h('label', { htmlFor: role.id }, t('report.role')), role,
      h('label', { htmlFor: description.id }, t('report.description')), description, remove);
    remove.addEventListener('click', () => li.remove());
    this.peopleList.append(li);
    description.focus();
  }

  /** @private */
  people() {
    return [...this.peopleList.querySelectorAll('[data-pnav="report-person"]')].map((li) => ({
      role: /** @type {HTMLSelectElement} */ (li.querySelector('select')).value,
      description: /** @type {HTMLInputElement} */ (li.querySelector('input')).value.trim(),
    }));
  }

  /** @private */
  body() {
    return {
      conversation: this.conv,
      category: this.category.value,
      facts: this.facts.input.value.trim(),
      first_date: this.firstDate.input.value,
      last_date: this.lastDate.input.value,
      dates: this.dates.input.value.trim(),
      place: this.place.value(),
      people: this.people(),
      consent: this.consent.checked,
      contact: this.consent.checked ? this.contact.input.value.trim() : '',
    };
  }

  /** @private */
  query() {
    const q = new URLSearchParams({
      postal_code: this.place.inputs.postal_code.value.trim(),
      commune_code: this.place.inputs.commune_code.value.trim(),
      category: this.category.value,
    });
    return `service?${q}`;
  }

  /** @private @param {Record<string, unknown>} body */
  async submit(body) {
    const t = this.t;
    const a = await deliver(this, 'report', body);
    if (a.delivered) {
      // Delivered, but the audit log did not record it: the operator must know.
      if (a.status === 500) this.error.textContent = t('report.auditFailed');
      return;
    }
    /** @type {Record<string, HTMLElement>} */
    const byField = {
      category: this.category, facts: this.facts.input, first_date: this.firstDate.input,
      last_date: this.lastDate.input, dates: this.dates.input, consent: this.consent, contact: this.contact.input,
    };
    for (const [k, i] of Object.entries(this.place.inputs)) byField[`place.${k}`] = i;
    this.peopleList.querySelectorAll('[data-pnav="report-person"]').forEach((li, i) => {
      byField[`people.${i + 1}.role`] = /** @type {HTMLElement} */ (li.querySelector('select'));
      byField[`people.${i + 1}.description`] = /** @type {HTMLElement} */ (li.querySelector('input'));
    });
    showRefusal(t, a, this.error, byField);
  }
}
