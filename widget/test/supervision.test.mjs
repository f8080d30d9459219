// Private notes and supervision in the desk (widget/src/console/desk.js,
// notes.js): notes sealed and bound, shown once, refused when moved; an
// observed conversation is read-only; leaving and taking over.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { FakeWebSocket } from './fakes.mjs';
import { named, desk as openDesk, conversation as frameOf } from './desk-harness.mjs';
import { sealNote, readNote } from '../src/console/notes.js';
import { newConversationKey, decryptMessage, fromBase64 } from '../src/shared/crypto.js';

/** A desk signed in as a supervisor. */
const desk = (username = 'alice') => openDesk(username);

/** A conversation held by bob. @param {string} [conv] @param {object} [extra] */
const conversation = (conv = 'c1', extra = {}) => frameOf(conv, { operator: 'bob', observing: false, observers: [], notes: [], ...extra });

/** A note as the server hands it out. */
const item = (k, id, text, author = 'bob', kind = 'note', cid = `n${id}`) => ({
  id, author, kind, ts: 1000, body: sealNote(k, text, cid, author, kind),
});

test('a note is sealed, bound to its writer and kind, and answered by the server', () => {
  const d = desk();
  const ws = FakeWebSocket.last;
  const { k, frame } = conversation('c1', { observing: true, observers: ['alice'] });
  ws.receive(frame);
  const sent = d.note('c1', 'ask about the children', 'whisper');
  assert.ok('cid' in sent);
  const [out] = ws.sentOf('note');
  assert.deepEqual({ conv: out.conv, id: out.id, kind: out.kind }, { conv: 'c1', id: sent.cid, kind: 'whisper' });
  assert.deepEqual(decryptMessage(k, fromBase64(out.body)),
    { type: 'note', text: 'ask about the children', id: sent.cid, from: 'alice', kind: 'whisper' });
  ws.receive({ t: 'note', conv: 'c1', id: sent.cid, note: { id: 7, author: 'alice', kind: 'whisper', ts: 5, body: out.body } });
  const [[, note]] = named('onNote');
  assert.deepEqual(note, { id: 7, author: 'alice', kind: 'whisper', ts: 5, text: 'ask about the children', cid: sent.cid });
  // The same note again, with the conversation after a reconnect: not shown twice.
  ws.receive({ ...frame, notes: [{ id: 7, author: 'alice', kind: 'whisper', ts: 5, body: out.body }] });
  assert.equal(named('onNote').length, 1);
  d.stop();
});

test('a note the server moved to another author or kind does not open', () => {
  const k = newConversationKey();
  const good = item(k, 1, 'secret');
  assert.equal(readNote(k, good)?.text, 'secret');
  for (const moved of [{ ...good, author: 'mallory' }, { ...good, kind: 'whisper' }]) {
    const note = readNote(k, moved);
    assert.equal(note?.text, null, 'shown as "could not decrypt"');
    assert.equal(note?.cid, null);
  }
  assert.equal(readNote(k, { ...good, kind: 'shout' }), null);
  assert.equal(readNote(newConversationKey(), good)?.text, null);
});

test('notes come with the conversation; a refused note is said', () => {
  const d = desk('bob');
  const ws = FakeWebSocket.last;
  const { k, frame } = conversation('c1', { notes: [] });
  frame.notes = [item(k, 1, 'first'), item(k, 2, 'second', 'alice', 'whisper')];
  ws.receive(frame);
  assert.deepEqual(named('onNote').map(([, n]) => [n.author, n.kind, n.text]),
    [['bob', 'note', 'first'], ['alice', 'whisper', 'second']]);
  const sent = d.note('c1', 'x', 'note');
  assert.ok('cid' in sent);
  ws.receive({ t: 'error', code: 'closed', message: 'closed', conv: 'c1', id: sent.cid });
  assert.deepEqual(named('onNoteFailed').map(([, cid, reason]) => [cid, reason]), [[sent.cid, 'closed']]);
  assert.equal(named('onError').length, 0, 'said next to the note, not as a notice');
  d.stop();
});

test('a note not handed back before a reconnect is said to have failed', () => {
  const d = desk('bob');
  let ws = FakeWebSocket.last;
  const { frame } = conversation();
  ws.receive(frame);
  ws.receive({ t: 'pong' });
  const sent = d.note('c1', 'lost?', 'note');
  assert.ok('cid' in sent);
  ws.drop();
  mock.timers.tick(15000);
  ws = FakeWebSocket.last;
  ws.open();
  ws.receive(frame); // announced again, without the note
  ws.receive({ t: 'pong' });
  assert.deepEqual(named('onNoteFailed').map(([, cid, reason]) => [cid, reason]), [[sent.cid, 'offline']]);
  d.stop();
});

test('an observed conversation is read-only; leaving forgets it', () => {
  const d = desk();
  const ws = FakeWebSocket.last;
  assert.equal(d.join('c1'), true);
  assert.deepEqual(ws.sentOf('join'), [{ v: 1, t: 'join', conv: 'c1' }]);
  const { frame } = conversation('c1', { observing: true, observers: ['alice'] });
  ws.receive(frame);
  const c = d.conversations.get('c1');
  assert.equal(named('onConversation')[0][2], true, 'brought forward, like an accept');
  assert.deepEqual(ws.sentOf('sync'), [], 'the history comes with the join');
  assert.equal(c?.observing, true);
  assert.equal(c?.operator, 'bob');
  assert.equal(d.send('c1', 'hello'), null, 'observers do not write to the person');
  ws.receive({ t: 'observer', conv: 'c1', username: 'dan', on: true });
  assert.deepEqual(c?.observers, ['alice', 'dan']);
  assert.deepEqual(named('onObserver').map(([, u, on]) => [u, on]), [['dan', true]]);
  d.leave('c1');
  assert.deepEqual(ws.sentOf('leave'), [{ v: 1, t: 'leave', conv: 'c1' }]);
  ws.receive({ t: 'left', conv: 'c1' });
  assert.equal(d.conversations.has('c1'), false);
  assert.ok(c?.k?.every((b) => b === 0), 'key wiped');
  assert.deepEqual(named('onLeft'), [['c1']]);
  d.stop();
});

test('taking over is a transfer to ourselves that keeps the conversation', () => {
  const d = desk();
  const ws = FakeWebSocket.last;
  const { k, frame } = conversation('c1', { observing: true, observers: ['alice'] });
  ws.receive(frame);
  assert.equal(d.takeOver('c1', 'bob has to leave'), null);
  const [out] = ws.sentOf('transfer');
  assert.equal(out.to, 'alice');
  assert.equal(decryptMessage(k, fromBase64(out.note)).text, 'bob has to leave');
  ws.receive({ t: 'transferred', conv: 'c1', to: 'alice' });
  assert.equal(d.conversations.has('c1'), true);
  assert.equal(named('onTakenOver').length, 1);
  assert.equal(named('onTransferred').length, 0);
  ws.receive({ ...frame, observing: false, operator: 'alice', observers: [] });
  assert.equal(d.conversations.get('c1')?.observing, false);
  assert.ok(d.send('c1', 'hello, I am taking over'));
  assert.deepEqual(ws.sentOf('capacity'), []);
  d.setCapacity('bob', 2);
  assert.deepEqual(ws.sentOf('capacity'), [{ v: 1, t: 'capacity', operator: 'bob', capacity: 2 }]);
  d.stop();
});
