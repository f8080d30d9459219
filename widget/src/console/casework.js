// What the emergency and report forms share: the casework endpoints
// (src/pnav/server/web/casework_api.py), the place fields, and the outcome of a delivery
// (sending…, acknowledged with the reference, sent, failed with the error of
// each attempt, and "try again"). No text typed here is ever logged or kept
// once the console is closed.
import { h } from '../shared/dom.js';

/**
 * @typedef {(key: string, vars?: Record<string, string | number>) => string} T
 * @typedef {{status: number, body: Record<string, any>}} Answer status 0: no answer
 * @typedef {{emergency: boolean, report: boolean}} Available
 * @typedef {{name: string, kind: string, phone: string, example: boolean}} ServiceInfo
 */

/**
 * A call to the console API with the session cookie; never throws.
 * @param {string} path below /console/api/
 * @param {unknown} [body] JSON to POST; GET without
 * @param {{fetch?: typeof fetch}} [deps]
 * @returns {Promise<Answer>}
 */
export async function api(path, body, deps = {}) {
  const doFetch = deps.fetch ?? fetch;
  try {
    const r = await doFetch(`/console/api/${path}`, body === undefined
      ? { credentials: 'same-origin', cache: 'no-store' }
      : { method: 'POST', credentials: 'same-origin', cache: 'no-store', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    let json = {};
    try {
      json = await r.json();
    } catch {
      // an answer that is not JSON (a proxy's error page): the status says enough
    }
    return { status: r.status, body: json && typeof json === 'object' ? json : {} };
  } catch {
    return { status: 0, body: {} };
  }
}

/** Which backends the server has (asked once per login). @returns {Promise<Available>} */
export async function available() {
  const a = await api('casework');
  return { emergency: a.body.emergency === true, report: a.body.report === true };
}

/**
 * Whether the conversation around `el` still takes casework: a closed or
 * lost conversation has its tools disabled (conversations.js), and an answer
 * that comes back afterwards must not enable them again.
 * @param {HTMLElement} el
 */
export function stillOpen(el) {
  const state = /** @type {HTMLElement | null} */ (el.closest('[data-pnav="conversation"]'))?.dataset.state;
  return state !== 'closed' && state !== 'lost';
}

/**
 * A labelled input or textarea.
 * @param {string} id @param {string} label @param {string} hook data-pnav
 * @param {Record<string, unknown>} [props] @param {boolean} [multiline]
 */
export function field(id, label, hook, props = {}, multiline = false) {
  const input = multiline
    ? h('textarea', { id, className: 'c-input', rows: 2, 'data-pnav': hook, ...props })
    : h('input', { id, className: 'c-input', 'data-pnav': hook, autocomplete: 'off', ...props });
  return { input, el: h('p', { className: 'c-field' }, h('label', { htmlFor: id }, label), input) };
}

/**
 * The place fields; `postal_code`/`commune_code` decide the competent service.
 * @param {T} t @param {string} id prefix for ids @param {string} kind hook prefix
 * @param {string} legend
 */
export function placeFields(t, id, kind, legend) {
  const f = {
    address: field(`${id}-address`, t('casework.address'), `${kind}-address`),
    postal_code: field(`${id}-postal`, t('casework.postalCode'), `${kind}-postal-code`, { inputMode: 'numeric', maxLength: 5, size: 6 }),
    commune_code: field(`${id}-commune`, t('casework.communeCode'), `${kind}-commune-code`, { maxLength: 5, size: 6 }),
    city: field(`${id}-city`, t('casework.city'), `${kind}-city`),
    details: field(`${id}-details`, t('casework.details'), `${kind}-details`, {}, true),
  };
  const el = h('fieldset', { className: 'c-fieldset' }, h('legend', {}, legend), ...Object.values(f).map((x) => x.el));
  /** @type {Record<string, HTMLInputElement | HTMLTextAreaElement>} */
  const inputs = {};
  for (const [k, x] of Object.entries(f)) inputs[k] = x.input;
  const value = () => Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k, i.value.trim()]));
  return { el, inputs, value };
}

/**
 * Ask the server which service is competent while the place is typed (a
 * complete postal or commune code), and say it in `out`: the service, or
 * that the directory has none for the place (`data-found="false"`).
 * @param {Record<string, HTMLInputElement | HTMLTextAreaElement>} inputs
 * @param {HTMLElement} out
 * @param {() => string} path the look-up path and query for the current values
 * @param {string} kind `centre` or `service`: the answer's key
 * @param {(found: ServiceInfo | null) => string} say
 */
export function watchService(inputs, out, path, kind, say) {
  let asked = 0;
  const look = async () => {
    const postal = inputs.postal_code.value.trim();
    const commune = inputs.commune_code.value.trim();
    const n = ++asked;
    out.textContent = '';
    delete out.dataset.found;
    if (postal.length !== 5 && commune.length !== 5) return;
    const a = await api(path());
    // A later look-up is on its way; or this one failed (a code being typed): say nothing.
    if (n !== asked || a.status !== 200 || !(kind in a.body)) return;
    const found = a.body[kind];
    out.textContent = say(found && typeof found === 'object' ? found : null);
    out.dataset.found = String(!!found);
  };
  for (const i of [inputs.postal_code, inputs.commune_code]) i.addEventListener('input', look);
  return look;
}

/**
 * "{name} ({kind}) · phone", flagged when it is fictional sample data.
 * @param {T} t @param {ServiceInfo} s
 */
export function serviceText(t, s) {
  const kind = t(`casework.kind.${s.kind}`);
  return [t('casework.service', { name: s.name, kind }), s.phone && t('casework.phone', { phone: s.phone }), s.example && t('casework.example')]
    .filter(Boolean).join(' · ');
}

/**
 * Put a refusal next to its field when the server named one: the field is
 * marked invalid and focused, and the message says which field in the
 * operator's language, then the server's own words.
 * @param {T} t @param {Answer} a @param {HTMLElement} out
 * @param {Record<string, HTMLElement>} byField server field name → input
 */
export function showRefusal(t, a, out, byField) {
  for (const el of Object.values(byField)) el.removeAttribute('aria-invalid');
  const message = String(a.body.error ?? '') || t('casework.noAnswer');
  const input = typeof a.body.field === 'string' ? byField[a.body.field] : undefined;
  const label = input && input.id ? document.querySelector(`label[for="${input.id}"]`)?.textContent : '';
  out.textContent = a.status === 0 ? t('casework.noAnswer')
    : label ? t('casework.fieldError', { field: label, message }) : t('casework.error', { message });
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }
}

/** The outcome of one delivery, as the server answered it. */
export class DeliveryResult {
  /**
   * @param {T} t @param {string} kind hook prefix (emergency, report)
   * @param {() => void} onRetry sends the same delivery again
   */
  constructor(t, kind, onRetry) {
    this.t = t;
    this.status = h('p', { className: 'c-result__status', 'data-pnav': `${kind}-status`, role: 'status' });
    this.info = h('p', { className: 'c-result__info', 'data-pnav': `${kind}-info` });
    this.errors = h('ol', { className: 'c-result__errors', 'data-pnav': `${kind}-errors` });
    this.retry = h('button', { type: 'button', className: 'c-button', 'data-pnav': `${kind}-retry`, hidden: true }, t('casework.retry'));
    this.retry.addEventListener('click', onRetry);
    this.el = h('div', { className: 'c-result', 'data-pnav': `${kind}-result`, hidden: true }, this.status, this.info, this.errors, this.retry);
  }

  sending() {
    this.el.hidden = false;
    this.el.dataset.status = 'sending';
    this.status.textContent = this.t('casework.sending');
    this.info.textContent = '';
    this.errors.replaceChildren();
    this.retry.hidden = true;
  }

  /**
   * @param {Record<string, any>} r the answer: status, reference, attempts, errors,
   *   and the centre or service it went to
   */
  show(r) {
    const t = this.t;
    const status = ['acknowledged', 'sent', 'failed'].includes(r.status) ? r.status : 'failed';
    this.el.hidden = false;
    this.el.dataset.status = status;
    this.status.textContent = t(`casework.status.${status}`);
    const to = r.centre ?? r.service;
    const attempts = typeof r.attempts === 'number' ? r.attempts : 0;
    this.info.textContent = [
      to && typeof to.name === 'string' && t('casework.to', { name: to.name }),
      r.reference && t('casework.reference', { reference: String(r.reference) }),
      t('casework.attempts', { n: attempts }),
    ].filter(Boolean).join(' · ');
    const errors = Array.isArray(r.errors) ? r.errors : [];
    // One line per failed attempt (no error on the last one: it went through).
    this.errors.replaceChildren(...errors.map((e, i) => h('li', { 'data-pnav': 'attempt-error' }, t('casework.attemptError', { n: i + 1, error: String(e) }))));
    this.retry.hidden = status !== 'failed';
    this.retry.disabled = false;
  }

  hide() {
    this.el.hidden = true;
  }
}

/**
 * Send an emergency or a report and show what came of it. A delivery that was
 * attempted, whatever its outcome, has an id: `form.last` keeps it with that
 * id so that "try again" resends the same one.
 * @param {{el: HTMLElement, send: HTMLButtonElement, error: HTMLElement,
 *   result: DeliveryResult, last: Record<string, unknown> | null}} form
 * @param {string} path emergency or report
 * @param {Record<string, unknown>} body
 * @returns {Promise<Answer & {delivered: boolean}>} delivered false: refused,
 *   nothing went out (the caller says why, next to the field)
 */
export async function deliver(form, path, body) {
  form.error.textContent = '';
  form.send.disabled = true;
  form.result.retry.disabled = true;
  form.result.sending();
  const a = await api(path, body);
  const open = stillOpen(form.el);
  if (open) form.send.disabled = false;
  const delivered = typeof a.body.status === 'string';
  if (delivered) {
    form.last = { ...body, id: a.body.id };
    form.result.show(a.body);
    if (!open) form.result.retry.disabled = true;
  } else {
    form.result.hide();
  }
  return { ...a, delivered };
}
