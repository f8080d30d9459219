// ReconnectingSocket (widget/src/shared/socket.js): back-off, pings, the
// dead-socket watchdog and the online event, with a scripted WebSocket and
// mock timers.
import { test, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { FakeWebSocket, installBrowserFakes, goOnline } from './fakes.mjs';
import { ReconnectingSocket, deadAfter, DEAD_AFTER, MIN_DEAD_AFTER, PING_EVERY } from '../src/shared/socket.js';

/** @type {string[]} */
let states;
/** @type {any[]} */
let frames;
let opens = 0;

beforeEach(() => {
  installBrowserFakes();
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  states = [];
  frames = [];
  opens = 0;
});
afterEach(() => mock.timers.reset());

/** @param {import('../src/shared/socket.js').SocketOptions} [options] */
function make(options) {
  const s = new ReconnectingSocket('ws://x/ws', {
    onOpen: () => { opens += 1; },
    onFrame: (f) => frames.push(f),
    onState: (st) => states.push(st),
  }, options);
  s.start();
  return s;
}

test('defaults: ping every 20 s, dead after 45 s', () => {
  assert.equal(PING_EVERY, 20000);
  assert.equal(DEAD_AFTER, 45000);
  const s = make();
  assert.equal(s.deadAfter, 45000);
  assert.equal(s.pingEvery, 20000);
  s.stop();
});

test('the dead-socket timeout can only be shortened, never below 5 s', () => {
  assert.equal(deadAfter(undefined), DEAD_AFTER);
  assert.equal(deadAfter('5000'), DEAD_AFTER);
  assert.equal(deadAfter(NaN), DEAD_AFTER);
  assert.equal(deadAfter(1), MIN_DEAD_AFTER);
  assert.equal(deadAfter(-1), MIN_DEAD_AFTER);
  assert.equal(deadAfter(10 * 60000), DEAD_AFTER);
  assert.equal(deadAfter(9000), 9000);
  const s = make({ deadAfter: 5000 });
  assert.equal(s.deadAfter, 5000);
  assert.ok(s.pingEvery < s.deadAfter / 2, 'a pong can arrive before the watchdog fires');
  s.stop();
});

test('pings go out every 20 s; frames keep a quiet socket alive', () => {
  const s = make();
  const ws = FakeWebSocket.last;
  ws.open();
  assert.equal(opens, 1);
  for (let i = 1; i <= 5; i++) {
    mock.timers.tick(PING_EVERY);
    assert.equal(ws.sentOf('ping').length, i);
    ws.receive({ t: 'pong' });
  }
  assert.equal(FakeWebSocket.all.length, 1, 'never replaced while it answers');
  assert.equal(ws.closedWith, undefined);
  assert.equal(frames.filter((f) => f.t === 'pong').length, 5);
  s.stop();
});

test('a socket silent for 45 s is closed and replaced after the back-off', () => {
  const s = make();
  const ws = FakeWebSocket.last;
  ws.open();
  ws.receive({ t: 'welcome' });
  mock.timers.tick(44999);
  assert.equal(FakeWebSocket.all.length, 1);
  mock.timers.tick(1);
  assert.equal(ws.closedWith, 4000, 'closed by the watchdog');
  assert.equal(states.at(-1), 'retrying');
  // Frames from the dead socket are ignored from now on.
  ws.receive({ t: 'msg', seq: 9 });
  assert.equal(frames.length, 1);
  // The first retry waits between 0.25 and 0.5 s (the back-off was reset by the welcome).
  mock.timers.tick(500);
  assert.equal(FakeWebSocket.all.length, 2);
  FakeWebSocket.last.open();
  assert.equal(opens, 2);
  // A late close of the dead socket changes nothing.
  ws.drop();
  assert.equal(FakeWebSocket.all.length, 2);
  assert.equal(states.at(-1), 'open');
  s.stop();
});

test('a handshake that never completes is dead too', () => {
  const s = make({ deadAfter: 5000 });
  assert.equal(FakeWebSocket.all.length, 1);
  mock.timers.tick(5000);
  assert.equal(FakeWebSocket.all[0].closedWith, 4000);
  mock.timers.tick(500);
  assert.equal(FakeWebSocket.all.length, 2);
  s.stop();
});

test('back-off doubles up to 15 s and resets once the server talks', () => {
  const s = make();
  // Every attempt fails at once: waits of at most 0.5, 1, 2, 4, 8, 15, 15 s.
  for (const ceiling of [500, 1000, 2000, 4000, 8000, 15000, 15000]) {
    const before = FakeWebSocket.all.length;
    FakeWebSocket.last.drop();
    mock.timers.tick(ceiling / 2 - 1);
    assert.equal(FakeWebSocket.all.length, before, `not before ${ceiling / 2} ms`);
    mock.timers.tick(ceiling / 2 + 1);
    assert.equal(FakeWebSocket.all.length, before + 1, `by ${ceiling} ms`);
  }
  FakeWebSocket.last.open();
  FakeWebSocket.last.receive({ t: 'welcome' });
  FakeWebSocket.last.drop();
  mock.timers.tick(500);
  assert.equal(states.filter((x) => x === 'open').length, 1);
  assert.equal(FakeWebSocket.last.readyState, FakeWebSocket.CONNECTING, 'reconnected within 0.5 s');
  s.stop();
});

test('back online: reconnect at once instead of sitting out the back-off', () => {
  const s = make();
  for (let i = 0; i < 6; i++) {
    FakeWebSocket.last.drop();
    mock.timers.tick(15000);
  }
  const before = FakeWebSocket.all.length;
  FakeWebSocket.last.drop(); // now waiting up to 15 s
  goOnline();
  assert.equal(FakeWebSocket.all.length, before + 1);
  s.stop();
});

test('back online with a socket that looks open: it must answer a ping within 5 s', () => {
  const s = make();
  const ws = FakeWebSocket.last;
  ws.open();
  goOnline();
  assert.equal(ws.sentOf('ping').length, 1);
  ws.receive({ t: 'pong' });
  mock.timers.tick(10000);
  assert.equal(ws.closedWith, undefined, 'it answered');
  goOnline();
  mock.timers.tick(5000);
  assert.equal(ws.closedWith, 4000, 'it did not');
  s.stop();
});

test('stop: no more reconnection, no more pings', () => {
  const s = make();
  const ws = FakeWebSocket.last;
  ws.open();
  s.stop();
  assert.equal(ws.closedWith, 1000);
  ws.drop();
  goOnline();
  mock.timers.tick(120000);
  assert.equal(FakeWebSocket.all.length, 1);
  assert.equal(ws.sentOf('ping').length, 0);
  assert.equal(states.at(-1), 'stopped');
});
