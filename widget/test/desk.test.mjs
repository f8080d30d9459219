// The operator's desk (widget/src/console/desk.js, desk-connection.js,
// delivery.js): catch-up after a (re)connect, gaps, handover notes,
// transfers, the attention list, referral cards sent like replies.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { FakeWebSocket } from './fakes.mjs';
import { deskPair, named, desk, conversation } from './desk-harness.mjs';
import { sendCard, loadPersonTable } from '../src/console/referral.js';
import frTable from '../src/locales/fr.json' with { type: 'json' };
import {
  newConversationKey, sealConversationKey, encryptMessage, decryptMessage, toBase64, fromBase64,
} from '../src/shared/crypto.js';
import { sealText, openMessage } from '../src/shared/message.js';

/** A handover note, or any other unbound object. @param {Uint8Array} k @param {string} text @param {string} [type] */
const seal = (k, text, type = 'note') => toBase64(encryptMessage(k, { type, text }));

/** A msg frame from the person, bound to its id. @param {Uint8Array} k @param {number} seq @param {string} text */
const personMsg = (k, seq, text) => ({ t: 'msg', conv: 'c1', seq, id: `p${seq}`, from: 'person', body: sealText(k, text, `p${seq}`, 'person'), ts: 1 });

test('each announced conversation is synced once per connection, after what the console has', () => {
  const d = desk();
  let ws = FakeWebSocket.last;
  assert.deepEqual(ws.sentOf('ping').length, 1, 'the barrier ping');
  const { k, frame } = conversation('c1', { last_seq: 2 });
  ws.receive(frame);
  assert.deepEqual(ws.sentOf('sync'), [{ v: 1, t: 'sync', conv: 'c1', after: 0 }]);
  ws.receive(personMsg(k, 1, 'un'));
  ws.receive(personMsg(k, 2, 'deux'));
  ws.receive(frame);
  assert.equal(ws.sentOf('sync').length, 1, 'once per connection');
  const id = d.send('c1', 'réponse');
  assert.ok(id);
  ws.drop();
  mock.timers.tick(15000);
  ws = FakeWebSocket.last;
  ws.open();
  assert.equal(ws.sentOf('sync').length, 0, 'nothing before the server announces it');
  ws.receive({ ...frame, last_seq: 3 });
  assert.deepEqual(ws.sentOf('sync'), [{ v: 1, t: 'sync', conv: 'c1', after: 2 }]);
  assert.deepEqual(ws.sentOf('msg').map((f) => f.id), [id], 'unacknowledged reply sent again');
  ws.receive({ t: 'ack', conv: 'c1', id, seq: 3 });
  assert.deepEqual(named('onAck').map(([, i, s]) => [i, s]), [[id, 3]]);
  assert.deepEqual(named('onMessage').map(([, m]) => m.text), ['un', 'deux']);
  d.stop();
});

test('an accepted conversation is not synced (its history comes with it)', () => {
  const d = desk();
  const ws = FakeWebSocket.last;
  d.accept('c1');
  ws.receive(conversation('c1').frame);
  assert.equal(ws.sentOf('sync').length, 0);
  assert.deepEqual(named('onConversation').map(([c, isNew, accepted]) => [c.key, isNew, accepted]), [['c1', true, true]]);
  d.stop();
});

test('a gap in a conversation (msg or ack) is synced once; duplicates dropped', () => {
  const d = desk();
  const ws = FakeWebSocket.last;
  d.accept('c1');
  const { k, frame } = conversation('c1');
  ws.receive(frame);
  ws.receive(personMsg(k, 1, 'un'));
  const id = d.send('c1', 'deux');
  ws.receive({ t: 'ack', conv: 'c1', id, seq: 2 });
  ws.receive(personMsg(k, 4, 'quatre'));
  assert.deepEqual(ws.sentOf('sync'), [{ v: 1, t: 'sync', conv: 'c1', after: 2 }]);
  ws.receive(personMsg(k, 3, 'trois'));
  ws.receive(personMsg(k, 4, 'quatre'));
  // Our own reply echoed as a msg: already seen by its ack.
  ws.receive({ t: 'msg', conv: 'c1', seq: 2, id, from: 'operator', body: sealText(k, 'deux', id, 'operator'), ts: 1 });
  assert.deepEqual(named('onMessage').map(([, m]) => m.text), ['un', 'quatre', 'trois']);
  assert.equal(d.conversations.get('c1')?.seqs.last, 4);
  ws.receive({ t: 'ack', conv: 'c1', id: 'zz', seq: 6 });
  assert.equal(ws.sentOf('sync').length, 2, 'an ack after a gap asks too');
  d.stop();
});

test('handover notes are decrypted; any that does not open says so and nothing else', () => {
  const d = desk();
  const ws = FakeWebSocket.last;
  const k = newConversationKey();
  const { frame } = conversation('c1');
  frame.sealed_key = toBase64(sealConversationKey(k, deskPair.publicKey));
  frame.handovers = [
    { from: 'alice', to: 'bob', note: seal(k, 'appelle à 18 h'), ts: 1000 },
    { from: 'bob', to: 'carol', note: seal(newConversationKey(), 'secret'), ts: 2000 },
    { from: 'carol', to: 'dan', note: seal(k, 'pas une note', 'text'), ts: 3000 },
    { from: 'dan', to: 'erin', note: 'not base64!', ts: 4000 },
  ];
  ws.receive(frame);
  const c = d.conversations.get('c1');
  assert.deepEqual(c?.handovers, [
    { from: 'alice', to: 'bob', ts: 1000, text: 'appelle à 18 h' },
    { from: 'bob', to: 'carol', ts: 2000, text: null },
    { from: 'carol', to: 'dan', ts: 3000, text: null },
    { from: 'dan', to: 'erin', ts: 4000, text: null },
  ]);
  d.stop();
});

test('transfer: the note is encrypted with the conversation key; transferred forgets it', () => {
  const d = desk();
  const ws = FakeWebSocket.last;
  const { k, frame } = conversation('c1');
  ws.receive(frame);
  assert.equal(d.transfer('c1', 'bob', 'elle rappellera ce soir'), null);
  const [sent] = ws.sentOf('transfer');
  assert.equal(sent.conv, 'c1');
  assert.equal(sent.to, 'bob');
  assert.ok(!sent.note.includes('rappellera'));
  assert.deepEqual(decryptMessage(k, fromBase64(sent.note)), { type: 'note', text: 'elle rappellera ce soir' });
  const held = d.conversations.get('c1');
  ws.receive({ t: 'transferred', conv: 'c1', to: 'bob' });
  assert.equal(d.conversations.has('c1'), false);
  assert.ok(held?.k?.every((b) => b === 0), 'key wiped');
  assert.deepEqual(named('onTransferred'), [['c1', 'bob', true]]);
  assert.equal(d.transfer('c1', 'bob', 'x'), 'unknown');
  d.stop();
});

test('transfer refused: the error is the transfer\'s, not a message\'s', () => {
  const d = desk();
  const ws = FakeWebSocket.last;
  ws.receive(conversation('c1').frame);
  const id = d.send('c1', 'hello');
  d.transfer('c1', 'nobody', 'note');
  ws.receive({ t: 'error', code: 'too_large', message: 'm', id, conv: 'c1' });
  ws.receive({ t: 'error', code: 'no_operator', message: 'no such operator', id: 'c1', conv: 'c1' });
  ws.receive({ t: 'error', code: 'closed', message: 'x', conv: 'c1' });
  assert.deepEqual(named('onError').map(([code, , conv, transfer]) => [code, conv, transfer]), [
    ['too_large', 'c1', false], ['no_operator', 'c1', true], ['closed', 'c1', false],
  ]);
  assert.equal(named('onFailed').length, 1);
  d.stop();
});

test('transfer problems: no key, too long, offline', () => {
  const d = desk();
  const ws = FakeWebSocket.last;
  ws.receive(conversation('c1', { desk_key: 'unknown' }).frame);
  assert.equal(d.transfer('c1', 'bob', 'note'), 'noKey');
  ws.receive(conversation('c2').frame);
  assert.equal(d.transfer('c2', 'bob', 'x'.repeat(60000)), 'tooLong');
  ws.drop();
  assert.equal(d.transfer('c2', 'bob', 'note'), 'offline');
  assert.equal(ws.sentOf('transfer').length, 0);
  d.stop();
});

test('supervisor: attention items, and a transfer of a conversation it does not hold', () => {
  const d = desk();
  const ws = FakeWebSocket.last;
  const k = newConversationKey();
  ws.receive({
    t: 'attention', items: [
      { conv: 'c9', operator: 'bob', reason: 'operator_away', since: 5000, who: 'victim', what: 'sexual', danger: true,
        sealed_key: toBase64(sealConversationKey(k, deskPair.publicKey)), desk_key: 'd1' },
      { operator: 'nobody' },
    ],
  });
  const [[items]] = named('onAttention');
  assert.deepEqual(items.map((/** @type {any} */ i) => [i.key, i.operator, i.reason, i.since, i.danger]),
    [['c9', 'bob', 'operator_away', 5000, true]]);
  assert.equal(d.transfer('c9', 'carol', 'bob est parti'), null);
  const [sent] = ws.sentOf('transfer');
  assert.deepEqual(decryptMessage(k, fromBase64(sent.note)), { type: 'note', text: 'bob est parti' });
  ws.receive({ t: 'transferred', conv: 'c9', to: 'carol' });
  assert.deepEqual(named('onTransferred'), [['c9', 'carol', false]]);
  ws.receive({ t: 'attention', items: [] });
  assert.deepEqual(named('onAttention').at(-1), [[]]);
  d.stop();
});

test('after a reconnect: a conversation not announced again is read-only; a lost transfer can be retried', () => {
  const d = desk();
  let ws = FakeWebSocket.last;
  ws.receive(conversation('c1').frame);
  ws.receive(conversation('c2').frame);
  ws.receive({ t: 'pong' });
  assert.equal(named('onLost').length, 0);
  d.transfer('c2', 'bob', 'note');
  const reply = d.send('c1', 'still there?');
  ws.drop();
  mock.timers.tick(15000);
  ws = FakeWebSocket.last;
  ws.open();
  ws.receive(conversation('c2').frame); // c1 was closed or moved meanwhile
  ws.receive({ t: 'pong' });
  assert.deepEqual(named('onLost').map(([c]) => c.key), ['c1']);
  assert.deepEqual(named('onFailed').map(([c, id]) => [c.key, id]), [['c1', reply]]);
  assert.equal(d.send('c1', 'x'), null, 'read-only');
  assert.deepEqual(named('onTransferDropped'), [['c2']]);
  assert.equal(ws.sentOf('msg').length, 0, 'nothing re-sent for c1');
  d.stop();
});

test('presence values pass through', () => {
  const d = desk();
  const ws = FakeWebSocket.last;
  ws.receive(conversation('c1').frame);
  for (const p of ['reconnecting', 'gone', 'connected', 'quick_exit']) {
    ws.receive({ t: 'presence', conv: 'c1', person: p });
    assert.equal(named('onPresence').at(-1)?.[0].person, p);
  }
  assert.equal(named('onPresence').length, 4);
  d.stop();
});

test('message binding: replies carry their id and sender; a body moved to another frame is refused', () => {
  const d = desk();
  const ws = FakeWebSocket.last;
  d.accept('c1');
  const { k, frame } = conversation('c1');
  ws.receive(frame);
  const id = d.send('c1', 'je vous écoute');
  const [sent] = ws.sentOf('msg');
  assert.deepEqual(decryptMessage(k, fromBase64(sent.body)), { type: 'text', text: 'je vous écoute', id, from: 'operator' });
  const good = personMsg(k, 2, 'aidez-moi');
  ws.receive({ ...personMsg(k, 1, 'moved'), id: 'p9' });
  ws.receive(good);
  ws.receive({ ...good, seq: 3 });
  assert.deepEqual(named('onMessage').map(([, m]) => [m.seq, m.text]), [[1, null], [2, 'aidez-moi']]);
  d.stop();
});

test('a referral card is sent like a reply: pending, sent again after a reconnect, then acknowledged', async () => {
  // The card's labels in the person's language, as GET /console/api/locale answers them.
  const answer = { tag: 'fr', dir: 'ltr', machine: false, strings: frTable.chat };
  const conv = /** @type {any} */ ({ lang: 'fr' });
  assert.equal(sendCard(/** @type {any} */ ({}), /** @type {any} */ ({}), conv, { name: 'x', description: '', phone: '', sms: '', url: '', email: '', hours: '' }), false, 'not before the labels are there');
  await loadPersonTable('fr', /** @type {any} */ (async () => ({ ok: true, status: 200, json: async () => answer })));
  const d = desk();
  let ws = FakeWebSocket.last;
  const { k, frame } = conversation('c1');
  ws.receive(frame);
  ws.receive({ t: 'pong' });
  const card = { name: '3919', description: '', phone: '3919', sms: '', url: '', email: '', hours: '24/7' };
  /** @type {(() => string | null)[]} */
  const sends = [];
  const bubble = { dataset: {} };
  /** @type {any} */
  const view = { sendOther: (/** @type {string} */ _key, /** @type {string} */ _text, /** @type {() => string | null} */ send) => (sends.push(send), bubble) };
  ws.drop();
  assert.equal(sendCard(d, view, /** @type {any} */ (d.conversations.get('c1')), card), true);
  assert.deepEqual(bubble.dataset, { kind: 'referral' });
  const id = sends[0]();
  assert.ok(id, 'kept while offline');
  mock.timers.tick(15000);
  ws = FakeWebSocket.last;
  ws.open();
  ws.receive(frame);
  const [again] = ws.sentOf('msg');
  assert.equal(again.id, id, 'sent again with its client id');
  const opened = openMessage(k, { ...again, from: 'operator' });
  assert.deepEqual(opened?.card, card);
  ws.receive({ t: 'ack', conv: 'c1', id, seq: 1 });
  assert.deepEqual(named('onAck').map(([, i, s]) => [i, s]), [[id, 1]]);
  d.stop();
});

test('nothing is written to the person in an observed, closed or keyless conversation', () => {
  const d = desk();
  const ws = FakeWebSocket.last;
  ws.receive(conversation('c1', { observing: true }).frame);
  ws.receive(conversation('c2', { desk_key: 'unknown' }).frame);
  ws.receive(conversation('c3').frame);
  ws.receive({ t: 'closed', conv: 'c3', outcome: 'information' });
  /** @type {any} */
  const view = { sendOther: () => assert.fail('no bubble') };
  for (const key of ['c1', 'c2', 'c3', 'c4']) {
    assert.equal(d.canSend(key), false, key);
    assert.equal(d.sendSealed(key, () => 'body'), null, key);
    const c = d.conversations.get(key);
    if (c) assert.equal(sendCard(d, view, c, { name: 'x', description: '', phone: '', sms: '', url: '', email: '', hours: '' }), false, key);
  }
  assert.equal(ws.sentOf('msg').length, 0);
  d.stop();
});
