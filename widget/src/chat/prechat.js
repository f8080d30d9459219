// The pre-chat form: who is writing, what it is about, danger, language.
// Rendered again (same answers kept) when the interface language changes.
import { UI_LANGS, WRITE_LANGS } from '../shared/i18n.js';
import { h } from '../shared/dom.js';
import { exitHintKey } from '../shared/quick-exit.js';

export const WHO = ['victim', 'relative', 'witness', 'professional'];
export const WHAT = ['sexual', 'sexist', 'domestic', 'intra_family', 'cyber_harassment', 'discrimination', 'other'];

/**
 * @typedef {{who: string, what: string, danger: boolean, lang: string, writes: string}} PrechatAnswers
 *   lang: the interface's; writes: the language the person will write in ('' until
 *   they choose: the interface's), the conversation's language
 */

/**
 * @param {(key: string, vars?: Record<string, string | number>) => string} t
 * @param {PrechatAnswers} answers current answers (mutated as the person edits)
 * @param {{onLang: (lang: string) => void, onStart: (a: PrechatAnswers) => void, onHaveCode?: () => void}} on
 *   onHaveCode: "I have a code" (chat/resume.js); left out, the button is not shown
 * @returns {HTMLFormElement}
 */
export function renderPrechat(t, answers, on) {
  const emergency = h('p', { className: 'pnav-emergency', 'data-pnav': 'emergency', hidden: !answers.danger }, t('dangerNumbers'));
  const danger = h('input', { type: 'checkbox', id: 'pnav-danger', name: 'danger', checked: answers.danger, 'data-pnav': 'prechat-danger' });
  danger.addEventListener('change', () => {
    answers.danger = danger.checked;
    emergency.hidden = !danger.checked;
  });

  const error = h('p', { className: 'pnav-error', role: 'alert', 'data-pnav': 'prechat-error' });

  const lang = h('select', { id: 'pnav-lang', name: 'lang', 'data-pnav': 'prechat-lang' },
    ...UI_LANGS.map(([code, name]) => h('option', { value: code, selected: code === answers.lang, lang: code }, name)));
  lang.addEventListener('change', () => {
    answers.lang = lang.value;
    on.onLang(lang.value);
  });
  const writes = h('select', { id: 'pnav-write-lang', name: 'writes', 'data-pnav': 'prechat-write-lang' },
    ...WRITE_LANGS.map(([code, name]) => h('option', { value: code, selected: code === (answers.writes || answers.lang), lang: code }, name)));
  writes.addEventListener('change', () => {
    answers.writes = writes.value;
  });

  const form = h('form', { className: 'pnav-prechat', noValidate: true, 'data-pnav': 'prechat' },
    h('p', { className: 'pnav-intro' }, t('intro')),
    haveCode(t, on.onHaveCode),
    h('div', { className: 'pnav-check pnav-check--danger' }, danger, h('label', { htmlFor: 'pnav-danger' }, t('danger'))),
    emergency,
    choices(t, 'who', WHO, answers),
    choices(t, 'what', WHAT, answers),
    h('div', { className: 'pnav-field' }, h('label', { htmlFor: 'pnav-lang' }, t('lang')), lang),
    h('div', { className: 'pnav-field' }, h('label', { htmlFor: 'pnav-write-lang' }, t('writeLang')), writes),
    error,
    h('button', { type: 'submit', className: 'pnav-button pnav-button--primary', 'data-pnav': 'prechat-start' }, t('start')),
    h('p', { className: 'pnav-hint', 'data-pnav': 'exit-hint' }, t(exitHintKey())),
  );

  form.addEventListener('submit', (e) => {
    // Never a real submission: the sandbox's CSP forbids it and nothing may navigate.
    e.preventDefault();
    const missing = !answers.who ? 'who' : !answers.what ? 'what' : '';
    if (missing) {
      error.textContent = t(missing === 'who' ? 'missingWho' : 'missingWhat');
      /** @type {HTMLInputElement | null} */ (form.querySelector(`input[name="${missing}"]`))?.focus();
      return;
    }
    error.textContent = '';
    on.onStart({ ...answers });
  });
  return form;
}

/**
 * A radio group as a fieldset with a legend, one large label per option.
 * @param {(key: string) => string} t
 * @param {'who' | 'what'} name
 * @param {string[]} values
 * @param {PrechatAnswers} answers
 */
function choices(t, name, values, answers) {
  return h('fieldset', { className: 'pnav-choices', 'data-pnav': `prechat-${name}` },
    h('legend', {}, t(name)),
    ...values.map((value) => {
      const id = `pnav-${name}-${value}`;
      const input = h('input', { type: 'radio', id, name, value, checked: answers[name] === value });
      input.addEventListener('change', () => {
        if (input.checked) answers[name] = value;
      });
      return h('div', { className: 'pnav-choice' }, input, h('label', { htmlFor: id }, t(`${name}.${value}`)));
    }));
}

/**
 * "I have a code": back to an earlier conversation with a resume code.
 * @param {(key: string) => string} t
 * @param {(() => void) | undefined} onHaveCode
 * @returns {HTMLButtonElement | null}
 */
function haveCode(t, onHaveCode) {
  if (!onHaveCode) return null;
  const button = h('button', { type: 'button', className: 'pnav-button pnav-button--secondary', 'data-pnav': 'prechat-have-code' }, t('haveCode'));
  button.addEventListener('click', onHaveCode);
  return button;
}
