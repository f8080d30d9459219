// "Raise an emergency", under each conversation: where (the postal or commune
// code finds the competent operational centre, shown as soon as it is typed),
// the danger, who is at risk, a callback. POST /console/api/emergency blocks
// while the server delivers it (with its retries); the chat goes on meanwhile.
// Then: acknowledged with the centre's reference, sent, or failed with the
// error of each attempt and "try again" (the same emergency, same id).
import { h } from '../shared/dom.js';
import { deliver, field, placeFields, watchService, serviceText, showRefusal, DeliveryResult } from './casework.js';

/**
 * @typedef {import('./casework.js').T} T
 * @typedef {import('./conversations.js').Tool} Tool
 * @typedef {{t: T, available: Promise<import('./casework.js').Available>}} Context
 */

/** @param {Context} ctx @returns {Tool} */
export function emergencyTool(ctx) {
  return (c, id) => {
    const el = new EmergencyForm(ctx, c.key, `${id}-emergency`).el;
    // In a DANGER conversation the form is open from the start: no click before typing.
    el.open = c.danger;
    return el;
  };
}

class EmergencyForm {
  /** @param {Context} ctx @param {string} conv @param {string} id */
  constructor(ctx, conv, id) {
    const { t } = ctx;
    this.t = t;
    this.conv = conv;
    this.place = placeFields(t, id, 'emergency', t('emergency.where'));
    this.centre = h('p', { className: 'c-lookup', 'data-pnav': 'emergency-centre', role: 'status' });
    this.danger = field(`${id}-danger`, t('emergency.danger'), 'emergency-danger', {}, true);
    this.people = field(`${id}-people`, t('emergency.people'), 'emergency-people', {}, true);
    this.callback = field(`${id}-callback`, t('emergency.callback'), 'emergency-callback');
    this.error = h('p', { className: 'c-error', 'data-pnav': 'emergency-error', role: 'alert' });
    this.unavailable = h('p', { className: 'c-notice', 'data-pnav': 'emergency-unavailable', hidden: true }, t('emergency.unavailable'));
    this.send = h('button', { type: 'submit', className: 'c-button c-button--danger', 'data-pnav': 'emergency-send' }, t('emergency.send'));
    /** @type {Record<string, unknown> | null} the last emergency sent, for "try again" */
    this.last = null;
    this.result = new DeliveryResult(t, 'emergency', () => {
      if (this.last) this.submit(this.last);
    });
    const form = h('form', { className: 'c-casework__form', noValidate: true },
      this.unavailable, this.place.el, this.centre, this.danger.el, this.people.el, this.callback.el,
      this.error, this.send);
    this.el = h('details', { className: 'c-casework c-casework--emergency', 'data-pnav': 'emergency' },
      h('summary', {}, t('emergency.title')), form, this.result.el);

    watchService(this.place.inputs, this.centre, () => this.query(), 'centre', (found) => (found ? serviceText(t, found) : t('emergency.noCentre')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (this.send.disabled) return;
      this.submit({
        conversation: this.conv,
        location: this.place.value(),
        danger: this.danger.input.value.trim(),
        people_at_risk: this.people.input.value.trim(),
        callback: this.callback.input.value.trim(),
      });
    });
    ctx.available.then((a) => {
      if (a.emergency) return;
      this.unavailable.hidden = false;
      this.send.disabled = true;
    });
  }

  /** @private */
  query() {
    const q = new URLSearchParams({
      postal_code: this.place.inputs.postal_code.value.trim(),
      commune_code: this.place.inputs.commune_code.value.trim(),
    });
    return `centre?${q}`;
  }

  /** @private @param {Record<string, unknown>} body */
  async submit(body) {
    const a = await deliver(this, 'emergency', body);
    if (a.delivered) return;
    showRefusal(this.t, a, this.error, {
      ...Object.fromEntries(Object.entries(this.place.inputs).map(([k, i]) => [`location.${k}`, i])),
      danger: this.danger.input,
      people_at_risk: this.people.input,
      callback: this.callback.input,
    });
  }
}
