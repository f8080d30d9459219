// The pre-chat form, short enough for a phone's first screen: the interface language
// first, "in danger now", start. Who is writing, what it is about and the language
// they will write in follow, optional: the operator sees "not said" for what is left
// out (docs/protocol.md, hello). Rendered again (same answers kept) when the
// interface language changes.
import { autonym } from '../shared/i18n.js';
import { h } from '../shared/dom.js';
import { exitHintKey } from '../shared/quick-exit.js';

export const WHO = ['victim', 'relative', 'witness', 'professional'];
export const WHAT = ['sexual', 'sexist', 'domestic', 'intra_family', 'cyber_harassment', 'discrimination', 'other'];

/**
 * @typedef {{who: string, what: string, danger: boolean, lang: string, writes: string}} PrechatAnswers
 *   who, what: '' while not said (sent as '', which the server keeps as not_said); lang: the interface's;
 *   writes: the language the person will write in ('' until they choose: the
 *   interface's), the conversation's language
 */

/**
 * @param {(key: string, vars?: Record<string, string | number>) => string} t
 * @param {PrechatAnswers} answers current answers (mutated as the person edits)
 * @param {import('./locale.js').ChatLocale} locale the interface language and the languages on offer
 * @param {{onLang: (lang: string) => void, onStart: (a: PrechatAnswers) => void, onHaveCode?: () => void}} on
 *   onHaveCode: "I have a code" (chat/resume.js); left out, the button is not shown
 * @returns {HTMLFormElement}
 */
export function renderPrechat(t, answers, locale, on) {
  const emergency = h('p', { className: 'pnav-emergency', 'data-pnav': 'emergency', hidden: !answers.danger }, t('dangerNumbers'));
  const danger = h('input', { type: 'checkbox', id: 'pnav-danger', name: 'danger', checked: answers.danger, 'data-pnav': 'prechat-danger' });
  danger.addEventListener('change', () => {
    answers.danger = danger.checked;
    emergency.hidden = !danger.checked;
  });

  const shipped = locale.interface.filter(([, , machine]) => !machine);
  const machine = locale.interface.filter(([, , m]) => m);
  /** @param {[string, string | null, boolean]} l */
  const option = ([code, name]) => h('option', { value: code, selected: code === answers.lang, lang: code, dir: 'auto' }, name || autonym(code));
  const lang = h('select', { id: 'pnav-lang', name: 'lang', 'data-pnav': 'prechat-lang' },
    ...shipped.map(option),
    machine.length > 0 && h('optgroup', { label: t('machineLanguages') }, ...machine.map(option)));
  lang.addEventListener('change', () => on.onLang(lang.value));

  const form = h('form', { className: 'pnav-prechat', noValidate: true, 'data-pnav': 'prechat' },
    h('div', { className: 'pnav-field' }, h('label', { htmlFor: 'pnav-lang' }, t('lang')), lang),
    h('p', { className: 'pnav-intro' }, t('intro')),
    h('div', { className: 'pnav-check pnav-check--danger' }, danger, h('label', { htmlFor: 'pnav-danger' }, t('danger'))),
    emergency,
    h('button', { type: 'submit', className: 'pnav-button pnav-button--primary', 'data-pnav': 'prechat-start' }, t('start')),
    h('section', { className: 'pnav-more', 'data-pnav': 'prechat-more', 'aria-labelledby': 'pnav-more-title' },
      h('h2', { id: 'pnav-more-title', className: 'pnav-more__title' }, t('more')),
      choices(t, 'who', WHO, answers),
      choices(t, 'what', WHAT, answers),
      writingLanguage(t, answers, locale),
      h('button', { type: 'submit', className: 'pnav-button pnav-button--secondary', 'data-pnav': 'prechat-start-more' }, t('startMore'))),
    haveCode(t, on.onHaveCode),
    h('p', { className: 'pnav-hint', 'data-pnav': 'exit-hint' }, t(exitHintKey())),
  );

  form.addEventListener('submit', (e) => {
    // Never a real submission: the sandbox's CSP forbids it and nothing may navigate.
    e.preventDefault();
    on.onStart({ ...answers });
  });
  return form;
}

/**
 * The language the person will write in: every language the platform's translator
 * handles, by its own name, with a search field that narrows the list (by the
 * name in itself, in the interface language, or the code). Optional: the
 * interface language until the person picks another.
 * @param {(key: string) => string} t
 * @param {PrechatAnswers} answers
 * @param {import('./locale.js').ChatLocale} locale
 */
function writingLanguage(t, answers, locale) {
  const current = answers.writes || locale.tag;
  // The shipped languages' own names come with the table (a browser may not know
  // "ትግርኛ"); the others are named by the browser.
  const names = new Map(locale.interface.filter(([, name]) => name).map(([code, name]) => [code, /** @type {string} */ (name)]));
  const all = locale.writing.map((code) => {
    const own = names.get(code) ?? autonym(code);
    const here = autonym(code, locale.tag);
    return { code, own, keys: `${own} ${here} ${code}`.toLocaleLowerCase() };
  }).sort((a, b) => a.own.localeCompare(b.own));
  const select = h('select', { id: 'pnav-write-lang', name: 'writes', 'data-pnav': 'prechat-write-lang', 'aria-describedby': 'pnav-write-hint' });
  const search = h('input', {
    type: 'search', id: 'pnav-write-search', className: 'pnav-search', 'data-pnav': 'prechat-write-search',
    autocomplete: 'off', spellcheck: false, dir: 'auto', 'aria-controls': 'pnav-write-lang', placeholder: t('writeLangSearch'),
  });
  const fill = () => {
    const q = search.value.trim().toLocaleLowerCase();
    const shown = all.filter((l) => !q || l.keys.includes(q) || l.code === (answers.writes || current));
    select.replaceChildren(...shown.map((l) => h('option', { value: l.code, lang: l.code, dir: 'auto', selected: l.code === (answers.writes || current) }, l.own)));
  };
  fill();
  search.addEventListener('input', () => {
    // One language matches: take it, as the person meant; the list shows just it.
    const q = search.value.trim().toLocaleLowerCase();
    const matches = all.filter((l) => l.keys.includes(q));
    if (q && matches.length === 1) answers.writes = matches[0].code;
    fill();
  });
  select.addEventListener('change', () => {
    answers.writes = select.value;
  });
  return h('div', { className: 'pnav-field pnav-field--writes' },
    h('label', { htmlFor: 'pnav-write-lang' }, t('writeLang')),
    h('p', { className: 'pnav-hint', id: 'pnav-write-hint' }, t('writeLangHint')),
    h('label', { htmlFor: 'pnav-write-search', className: 'pnav-visually-hidden' }, t('writeLangSearch')),
    search,
    select);
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
