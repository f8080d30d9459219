// "Someone is here" on the person's session (widget/src/chat/session.js,
// duress()): the server keeps no duress state, so the chat says it again
// whenever whoever holds the conversation may not know it.
import { test, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import nacl from 'tweetnacl';
import { FakeWebSocket, installBrowserFakes } from './fakes.mjs';
import { ChatSession } from '../src/chat/session.js';
import { toBase64 } from '../src/shared/crypto.js';

const desk = nacl.box.keyPair();
const noop = new Proxy({}, { get: () => () => {} });

beforeEach(() => {
  installBrowserFakes();
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
});
afterEach(() => mock.timers.reset());

function session() {
  const s = new ChatSession(
    { ws: 'ws://x/ws/person', ticket: 'T', deskKey: { id: 'd1', public: toBase64(desk.publicKey) } },
    { who: 'victim', what: 'domestic', danger: false, lang: 'fr' }, /** @type {any} */ (noop));
  s.connect();
  return s;
}

/** @param {FakeWebSocket} ws */
const told = (ws) => ws.sentOf('duress').map((f) => f.on);

test('duress is sent once there is a conversation, and only then', () => {
  const s = session();
  const ws = FakeWebSocket.last;
  s.duress(true);
  ws.open();
  assert.deepEqual(told(ws), [], 'no conversation yet: nothing to tell');
  ws.receive({ t: 'welcome', conv: 'c', token: 'R', exit: 'E', state: 'waiting' });
  assert.deepEqual(ws.sentOf('duress'), [{ v: 1, t: 'duress', on: true }]);
  ws.receive({ t: 'status', state: 'waiting', position: 1 });
  assert.deepEqual(told(ws), [true], 'nobody new to tell while waiting');
  // An operator accepts: told again, so the one who now holds it knows.
  ws.receive({ t: 'status', state: 'active', operator: 'present' });
  assert.deepEqual(told(ws), [true, true]);
  s.duress(false);
  assert.deepEqual(told(ws), [true, true, false]);
  ws.receive({ t: 'status', state: 'active', operator: 'present' });
  ws.receive({ t: 'handover' });
  assert.deepEqual(told(ws), [true, true, false], 'over and said so: nothing more');
  s.exit();
});

test('a duress still on is said again after a reconnect and after a handover', () => {
  const s = session();
  let ws = FakeWebSocket.last;
  ws.open();
  ws.receive({ t: 'welcome', conv: 'c', token: 'R', exit: 'E', state: 'active' });
  s.duress(true);
  ws.receive({ t: 'handover' });
  assert.deepEqual(told(ws), [true, true]);
  ws.drop();
  mock.timers.tick(15000);
  ws = FakeWebSocket.last;
  ws.open();
  assert.deepEqual(told(ws), [], 'before welcome: nothing');
  ws.receive({ t: 'welcome', conv: 'c', token: 'R', exit: 'E', state: 'active' });
  assert.deepEqual(told(ws), [true]);
  s.exit();
});

test('turned off while disconnected: the off reaches the server after the reconnect', () => {
  const s = session();
  let ws = FakeWebSocket.last;
  ws.open();
  ws.receive({ t: 'welcome', conv: 'c', token: 'R', exit: 'E', state: 'active' });
  s.duress(true);
  ws.drop();
  s.duress(false);
  mock.timers.tick(15000);
  ws = FakeWebSocket.last;
  ws.open();
  ws.receive({ t: 'welcome', conv: 'c', token: 'R', exit: 'E', state: 'active' });
  assert.deepEqual(told(ws), [false]);
  ws.drop();
  mock.timers.tick(15000);
  ws = FakeWebSocket.last;
  ws.open();
  ws.receive({ t: 'welcome', conv: 'c', token: 'R', exit: 'E', state: 'active' });
  assert.deepEqual(told(ws), [], 'the server was told: never again');
  s.exit();
});
