// The person's session (widget/src/chat/session.js) and the sequence
// bookkeeping it shares with the console (widget/src/shared/seq.js).
import { test, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import nacl from 'tweetnacl';
import { FakeWebSocket, installBrowserFakes } from './fakes.mjs';
import { SeqTracker, SYNC_RETRY } from '../src/shared/seq.js';
import { ChatSession } from '../src/chat/session.js';
import { encryptMessage, toBase64 } from '../src/shared/crypto.js';
import { sealText } from '../src/shared/message.js';

test('SeqTracker: highest seen without a gap, duplicates refused', () => {
  const s = new SeqTracker();
  assert.equal(s.see(1), true);
  assert.equal(s.see(2), true);
  assert.equal(s.last, 2);
  assert.equal(s.see(2), false, 'duplicate');
  assert.equal(s.see(4), true);
  assert.equal(s.last, 2, 'not past the gap');
  assert.ok(s.gap);
  assert.equal(s.wantSync(1000), true);
  assert.equal(s.wantSync(1001), false, 'one sync at a time');
  assert.equal(s.see(4), false);
  assert.equal(s.see(3), true);
  assert.equal(s.last, 4);
  assert.ok(!s.gap);
  assert.equal(s.syncSentAt, null, 'the gap is filled: the sync is done');
  assert.equal(s.see(6), true);
  assert.equal(s.wantSync(2000), true, 'a new gap gets its own sync');
  assert.equal(s.wantSync(2000 + SYNC_RETRY - 1), false);
  assert.equal(s.wantSync(2000 + SYNC_RETRY), true, 'a gap still open is asked for again');
  s.reset();
  assert.equal(s.wantSync(2000 + SYNC_RETRY), true, 'a new connection forgets the sync in flight');
  assert.equal(s.see(0), false);
  assert.equal(s.see(1.5), false);
  assert.ok(s.has(3) && s.has(6) && !s.has(5));
});

/** @type {{name: string, args: any[]}[]} */
let calls;
const desk = nacl.box.keyPair();

beforeEach(() => {
  installBrowserFakes();
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  calls = [];
});
afterEach(() => mock.timers.reset());

function session(extra = {}) {
  /** @type {any} */
  const events = new Proxy({}, { get: (_, name) => (...args) => calls.push({ name: String(name), args }) });
  const s = new ChatSession(
    { ws: 'ws://x/ws/person', ticket: 'T', deskKey: { id: 'd1', public: toBase64(desk.publicKey) }, ...extra },
    { who: 'victim', what: 'domestic', danger: false, lang: 'fr' }, events);
  s.connect();
  return s;
}

/** @param {string} name */
const named = (name) => calls.filter((c) => c.name === name).map((c) => c.args);

/** @param {ChatSession} s @param {number} seq @param {string} text */
function opMsg(s, seq, text) {
  const id = `op${seq}`;
  return { t: 'msg', seq, id, from: 'operator', body: sealText(/** @type {Uint8Array} */ (s.key), text, id, 'operator'), ts: 1 };
}

test('lastSeq counts msg and ack; a gap is synced once; duplicates are dropped; resume asks after it', () => {
  const s = session();
  let ws = FakeWebSocket.last;
  ws.open();
  assert.equal(ws.sent[0].t, 'hello');
  assert.ok(ws.sent[0].start.sealed_key);
  ws.receive({ t: 'welcome', conv: 'c', token: 'R', exit: 'E', state: 'active' });
  const id = s.send('bonjour');
  assert.deepEqual(ws.sentOf('msg').map((f) => f.id), [id]);
  ws.receive({ t: 'ack', id, seq: 1 });
  assert.equal(s.lastSeq, 1, 'an ack counts as seen');
  ws.receive(opMsg(s, 2, 'deux'));
  assert.equal(s.lastSeq, 2);
  ws.receive(opMsg(s, 4, 'quatre'));
  assert.deepEqual(ws.sentOf('sync'), [{ v: 1, t: 'sync', after: 2 }]);
  ws.receive(opMsg(s, 5, 'cinq'));
  assert.equal(ws.sentOf('sync').length, 1, 'at most one sync outstanding');
  // The sync's answer: 3, then 4 and 5 again.
  ws.receive(opMsg(s, 3, 'trois'));
  ws.receive(opMsg(s, 4, 'quatre'));
  ws.receive(opMsg(s, 5, 'cinq'));
  assert.equal(s.lastSeq, 5);
  assert.deepEqual(named('onMessage').map(([m]) => [m.seq, m.text]),
    [[2, 'deux'], [4, 'quatre'], [5, 'cinq'], [3, 'trois']]);
  assert.deepEqual(named('onAck'), [[id, 1]]);

  // A drop: the status line says reconnecting; the resume asks after 5.
  ws.drop();
  assert.equal(named('onReconnecting').length, 1);
  assert.equal(named('onNotice').length, 0, 'reconnecting is not an error');
  mock.timers.tick(15000);
  ws = FakeWebSocket.last;
  ws.open();
  assert.deepEqual(ws.sent[0], { v: 1, t: 'hello', resume: { token: 'R', after: 5 } });
  s.exit();
});

test('messages typed while disconnected are sent after the resume, in order, with their ids', () => {
  const s = session();
  let ws = FakeWebSocket.last;
  ws.open();
  ws.receive({ t: 'welcome', conv: 'c', token: 'R', exit: 'E', state: 'active' });
  const a = s.send('a');
  ws.drop();
  const b = s.send('b');
  const c = s.send('c');
  assert.equal(ws.sentOf('msg').length, 1);
  mock.timers.tick(15000);
  ws = FakeWebSocket.last;
  ws.open();
  assert.equal(ws.sent.length, 1, 'nothing before the welcome');
  ws.receive({ t: 'welcome', conv: 'c', token: 'R2', exit: 'E', state: 'active' });
  // Everything not acknowledged goes again, in order, with the same ids (the
  // server stores a client id once).
  assert.deepEqual(ws.sentOf('msg').map((f) => f.id), [a, b, c]);
  // `a` reached the server before the drop: replayed as a msg, it counts as acked.
  ws.receive({ t: 'msg', seq: 1, id: a, from: 'person', body: 'AAAA', ts: 1 });
  assert.deepEqual(named('onAck'), [[a, 1]]);
  ws.receive({ t: 'ack', id: a, seq: 1 });
  assert.deepEqual(named('onAck'), [[a, 1]], 'acknowledged once');
  assert.equal(named('onMessage').length, 0, 'our own message is not shown twice');
  ws.receive({ t: 'ack', id: b, seq: 2 });
  ws.receive({ t: 'ack', id: c, seq: 3 });
  assert.equal(s.lastSeq, 3);
  assert.equal(s.pending.size, 0);
  s.exit();
});

test('a message acknowledged twice (resent after a drop) is shown once', () => {
  const s = session();
  let ws = FakeWebSocket.last;
  ws.open();
  ws.receive({ t: 'welcome', conv: 'c', token: 'R', exit: 'E', state: 'active' });
  const a = s.send('a');
  ws.drop();
  mock.timers.tick(15000);
  ws = FakeWebSocket.last;
  ws.open();
  ws.receive({ t: 'welcome', conv: 'c', token: 'R', exit: 'E', state: 'active' });
  assert.deepEqual(ws.sentOf('msg').map((f) => f.id), [a]);
  ws.receive({ t: 'ack', id: a, seq: 1 });
  ws.receive({ t: 'ack', id: a, seq: 1 });
  assert.deepEqual(named('onAck'), [[a, 1]]);
  s.exit();
});

test('status: operator present or away while active; handover', () => {
  const s = session();
  const ws = FakeWebSocket.last;
  ws.open();
  ws.receive({ t: 'welcome', conv: 'c', token: 'R', exit: 'E', state: 'waiting' });
  ws.receive({ t: 'status', state: 'waiting', position: 2 });
  ws.receive({ t: 'status', state: 'waiting', position: 1, wait_estimate: 90 });
  ws.receive({ t: 'status', state: 'waiting', position: 1, wait_estimate: 'soon' });
  ws.receive({ t: 'status', state: 'active', operator: 'away' });
  ws.receive({ t: 'status', state: 'active', operator: 'present' });
  ws.receive({ t: 'status', state: 'active', operator: 'elsewhere' });
  ws.receive({ t: 'handover' });
  assert.deepEqual(named('onStatus').slice(1), [
    ['waiting', 2, undefined, undefined], ['waiting', 1, undefined, 90], ['waiting', 1, undefined, undefined],
    ['active', undefined, 'away', undefined], ['active', undefined, 'present', undefined],
    ['active', undefined, undefined, undefined],
  ]);
  assert.equal(named('onHandover').length, 1);
  s.exit();
});

test('the dead-socket timeout comes from init, clamped', () => {
  const s = session({ deadAfter: 1000 });
  assert.equal(s.socket.deadAfter, 5000);
  s.exit();
  const t = session();
  assert.equal(t.socket.deadAfter, 45000);
  t.exit();
});

test('message binding: what the person sends carries its id and sender; a moved or replayed body is refused', async () => {
  const { decryptMessage, fromBase64 } = await import('../src/shared/crypto.js');
  const s = session();
  const ws = FakeWebSocket.last;
  ws.open();
  ws.receive({ t: 'welcome', conv: 'c', token: 'R', exit: 'E', state: 'active' });
  const id = s.send('bonjour é');
  const [sent] = ws.sentOf('msg');
  assert.equal(sent.id, id);
  const plain = decryptMessage(/** @type {Uint8Array} */ (s.key), fromBase64(sent.body));
  assert.deepEqual(plain, { type: 'text', text: 'bonjour é', id, from: 'person' });
  assert.deepEqual(Object.keys(plain), ['type', 'text', 'id', 'from'], 'the key order Python writes');
  const key = /** @type {Uint8Array} */ (s.key);
  // Right key, wrong binding: shown as undecryptable, never in clear.
  ws.receive({ t: 'msg', seq: 2, id: 'other', from: 'operator', body: sealText(key, 'moved', 'x1', 'operator'), ts: 1 });
  ws.receive({ t: 'msg', seq: 3, id: 'x2', from: 'operator', body: sealText(key, 'wrong sender', 'x2', 'person'), ts: 1 });
  ws.receive({ t: 'msg', seq: 4, id: 'x3', from: 'operator', body: toBase64(encryptMessage(key, { type: 'text', text: 'unbound' })), ts: 1 });
  // A good one, then the same id again under a new seq: not shown twice.
  ws.receive({ t: 'msg', seq: 5, id: 'x4', from: 'operator', body: sealText(key, 'ok', 'x4', 'operator'), ts: 1 });
  ws.receive({ t: 'msg', seq: 6, id: 'x4', from: 'operator', body: sealText(key, 'ok', 'x4', 'operator'), ts: 1 });
  assert.deepEqual(named('onMessage').map(([m]) => [m.seq, m.text]), [[2, null], [3, null], [4, null], [5, 'ok']]);
  s.exit();
});
