// Referral cards (shared/card.js) and referral messages (shared/message.js):
// what the chat accepts as a card, how numbers and web addresses become
// links, and that a referral is bound to its frame like a text message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCard, cardOf, cardText, cardLines, phoneHref, webHref, hoursText } from '../src/shared/card.js';
import { sealReferral, sealText, openMessage, openText } from '../src/shared/message.js';
import { encryptMessage, newConversationKey, toBase64 } from '../src/shared/crypto.js';
import { lookup } from '../src/shared/i18n.js';
import enTable from '../src/locales/en.json' with { type: 'json' };
import frTable from '../src/locales/fr.json' with { type: 'json' };

const en = lookup(enTable.chat);
const fr = lookup(frTable.chat);
const CARD = {
  name: '3919 — Violences Femmes Info',
  description: 'Écoute, information et orientation.',
  phone: '3919',
  sms: '',
  url: 'https://arretonslesviolences.gouv.fr',
  email: '',
  hours: '24/7',
};

test('a card has exactly the card fields, strings within their limits, and a name', () => {
  assert.deepEqual(checkCard({ ...CARD, extra: '<b>x</b>' }), CARD);
  assert.deepEqual(checkCard({ name: ' 17 ' }), { name: '17', description: '', phone: '', sms: '', url: '', email: '', hours: '' });
  for (const bad of [null, 'card', [CARD], { ...CARD, name: '' }, { ...CARD, phone: 3919 }, { ...CARD, url: 'x'.repeat(501) }]) {
    assert.equal(checkCard(bad), null, JSON.stringify(bad)?.slice(0, 40));
  }
  // From the resources listing: the card fields only, in their order.
  const r = { id: 'fr-3919', category: 'domestic_violence', open_now: true, national: true, ...CARD };
  assert.deepEqual(Object.keys(/** @type {object} */ (cardOf(r))), ['name', 'description', 'phone', 'sms', 'url', 'email', 'hours']);
});

test('phone numbers become tel: and sms: addresses, and nothing else does', () => {
  assert.equal(phoneHref('116 006', 'tel'), 'tel:116006');
  assert.equal(phoneHref('+33 1 23.45.67.89', 'tel'), 'tel:+33123456789');
  assert.equal(phoneHref('114', 'sms'), 'sms:114');
  for (const bad of ['', 'javascript:alert(1)', '3919;x', '12345678901234567890123']) assert.equal(phoneHref(bad, 'tel'), null, bad);
});

test('only http(s) web addresses become links', () => {
  assert.equal(webHref('https://e-enfance.org'), 'https://e-enfance.org/');
  assert.equal(webHref('http://example.org/a?b'), 'http://example.org/a?b');
  for (const bad of ['javascript:alert(1)', 'data:text/html,x', 'file:///etc/passwd', 'e-enfance.org', '']) assert.equal(webHref(bad), null, bad);
});

test('hours read as words in the person\'s language', () => {
  assert.equal(hoursText('24/7', en, 'en'), '24 hours a day, 7 days a week');
  assert.equal(hoursText('24/7', fr, 'fr'), '24 h/24, 7 j/7');
  assert.equal(hoursText('Mo-Fr 09:00-12:30', en, 'en'), 'Mon–Fri 09:00–12:30');
  assert.equal(hoursText('Sa 10:00-12:00', fr, 'fr'), 'sam. 10:00–12:00');
});

test('the plain-text form has the name, the description and one line per detail', () => {
  assert.equal(cardText(CARD, fr, 'fr'), [
    '3919 — Violences Femmes Info',
    'Écoute, information et orientation.',
    'Téléphone : 3919',
    'Site : https://arretonslesviolences.gouv.fr',
    'Horaires : 24 h/24, 7 j/7',
  ].join('\n'));
  assert.deepEqual(cardLines({ ...CARD, sms: '114', url: '', hours: '' }, en, 'en').map((l) => l.field), ['phone', 'sms']);
});

test('a referral opens with its card and its text; a text message has no card', () => {
  const k = newConversationKey();
  const text = cardText(CARD, en, 'en');
  const body = sealReferral(k, CARD, text, 'r1');
  assert.deepEqual(openMessage(k, { id: 'r1', from: 'operator', body }), { text, card: CARD });
  assert.equal(openText(k, { id: 'r1', from: 'operator', body }), text);
  const plain = sealText(k, 'hello', 't1', 'operator');
  assert.deepEqual(openMessage(k, { id: 't1', from: 'operator', body: plain }), { text: 'hello', card: null });
});

test('a referral is bound to its frame: moved or replayed, it does not open', () => {
  const k = newConversationKey();
  const body = sealReferral(k, CARD, 'x', 'r1');
  assert.equal(openMessage(k, { id: 'r2', from: 'operator', body }), null);
  assert.equal(openMessage(k, { id: 'r1', from: 'person', body }), null);
  assert.equal(openMessage(newConversationKey(), { id: 'r1', from: 'operator', body }), null);
});

test('a card that does not check out, or from the person, is shown as text only', () => {
  const k = newConversationKey();
  const seal = (/** @type {Record<string, unknown>} */ content) => toBase64(encryptMessage(k, content));
  const bad = seal({ type: 'referral', text: 'fallback', id: 'a', from: 'operator', card: { name: '', phone: '17' } });
  assert.deepEqual(openMessage(k, { id: 'a', from: 'operator', body: bad }), { text: 'fallback', card: null });
  const person = seal({ type: 'referral', text: 'mine', id: 'b', from: 'person', card: CARD });
  assert.deepEqual(openMessage(k, { id: 'b', from: 'person', body: person }), { text: 'mine', card: null });
  const other = seal({ type: 'note', text: 'a note', id: 'c', from: 'operator' });
  assert.equal(openMessage(k, { id: 'c', from: 'operator', body: other }), null);
});
