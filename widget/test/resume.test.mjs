// Resume codes on the person's side without a DOM: the session's hello by code,
// the unwrapped key and the history, the resume_code frame (chat/session.js),
// and the KDF parameters the chat accepts (chat/resume.js).
import { test, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import nacl from 'tweetnacl';
import { FakeWebSocket, installBrowserFakes } from './fakes.mjs';
import { ChatSession } from '../src/chat/session.js';
import { resumeParams } from '../src/chat/resume.js';
import { toBase64, fromBase64, wrapConversationKey, unwrapConversationKey, newConversationKey } from '../src/shared/crypto.js';
import { sealText } from '../src/shared/message.js';

/** @type {{name: string, args: any[]}[]} */
let calls;
const desk = nacl.box.keyPair();

beforeEach(() => {
  installBrowserFakes();
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  calls = [];
});
afterEach(() => mock.timers.reset());

/** @param {string} name */
const named = (name) => calls.filter((c) => c.name === name).map((c) => c.args);

/** @param {import('../src/chat/session.js').StartInfo | null} start */
function session(start) {
  /** @type {any} */
  const events = new Proxy({}, { get: (_, name) => (...args) => calls.push({ name: String(name), args }) });
  return new ChatSession({ ws: 'ws://x/ws/person', ticket: 'T', deskKey: { id: 'd1', public: toBase64(desk.publicKey) } }, start, events);
}

const keys = () => ({ lookup: nacl.randomBytes(32), wrap: nacl.randomBytes(32) });

test('hello by code: no ticket, no start; a wrong code can be retried on the same socket', () => {
  const s = session(null);
  assert.equal(s.key, null, 'no key of its own: it comes from the wrapped key');
  const first = keys();
  const lookup = toBase64(first.lookup);
  s.useCode(first);
  const ws = FakeWebSocket.last;
  ws.open();
  assert.deepEqual(ws.sent, [{ v: 1, t: 'hello', code: { lookup, after: 0 } }]);
  assert.ok(first.lookup.every((b) => b === 0), 'the lookup bytes are wiped once encoded');
  ws.receive({ t: 'error', code: 'bad_code', message: 'no conversation has this code; check the digits' });
  assert.deepEqual(named('onCodeRefused'), [['bad_code', 'no conversation has this code; check the digits']]);
  assert.ok(first.wrap.every((b) => b === 0), 'a refused code is forgotten');
  assert.equal(named('onNotice').length, 0);
  // A drop now does not try the wrong code again.
  ws.drop();
  mock.timers.tick(15000);
  const ws2 = FakeWebSocket.last;
  ws2.open();
  assert.deepEqual(ws2.sent, []);
  const second = keys();
  const secondLookup = toBase64(second.lookup);
  s.useCode(second);
  assert.equal(FakeWebSocket.all.length, 2, 'the open socket is reused');
  assert.deepEqual(ws2.sent, [{ v: 1, t: 'hello', code: { lookup: secondLookup, after: 0 } }]);
  ws2.receive({ t: 'error', code: 'rate_limited', message: 'too many wrong codes' });
  assert.deepEqual(named('onCodeRefused')[1], ['rate_limited', 'too many wrong codes']);
  s.abandon();
});

test('welcome with the wrapped key: the whole history, both sides, then the chat goes on by token', () => {
  const s = session(null);
  const k = keys();
  const conv = newConversationKey();
  const wrapped = toBase64(wrapConversationKey(conv, k.wrap));
  s.useCode(k);
  let ws = FakeWebSocket.last;
  ws.open();
  ws.receive({ t: 'welcome', conv: 'c', token: 'R', exit: 'E', state: 'active', wrapped_key: wrapped });
  assert.deepEqual(s.key, conv);
  assert.deepEqual(named('onWelcome'), [['E']]);
  // Sent from another browser earlier: ids this one never made.
  ws.receive({ t: 'msg', seq: 1, id: 'p1', from: 'person', body: sealText(conv, 'je reviens', 'p1', 'person'), ts: 1 });
  ws.receive({ t: 'msg', seq: 2, id: 'o1', from: 'operator', body: sealText(conv, 'je vous écoute', 'o1', 'operator'), ts: 2 });
  ws.receive({ t: 'msg', seq: 3, id: 'o2', from: 'operator', body: sealText(newConversationKey(), 'autre clé', 'o2', 'operator'), ts: 3 });
  assert.deepEqual(named('onMessage').map(([m]) => [m.seq, m.from, m.text]),
    [[1, 'person', 'je reviens'], [2, 'operator', 'je vous écoute'], [3, 'operator', null]]);
  const id = /** @type {string} */ (s.send('encore là'));
  assert.equal(ws.sentOf('msg')[0].id, id);
  ws.drop();
  mock.timers.tick(15000);
  ws = FakeWebSocket.last;
  ws.open();
  assert.deepEqual(ws.sent[0], { v: 1, t: 'hello', resume: { token: 'R', after: 3 } });
  s.exit();
});

test('a wrapped key that does not open: nothing shown, nothing sent, the socket closed', () => {
  const s = session(null);
  s.useCode(keys());
  const ws = FakeWebSocket.last;
  ws.open();
  const wrongly = toBase64(wrapConversationKey(newConversationKey(), nacl.randomBytes(32)));
  ws.receive({ t: 'welcome', conv: 'c', token: 'R', exit: 'E', state: 'active', wrapped_key: wrongly });
  assert.deepEqual(named('onCodeRefused'), [['bad_key', '']]);
  assert.equal(named('onWelcome').length, 0);
  assert.equal(s.key, null);
  assert.equal(s.token, null);
  assert.equal(ws.closedWith, 1000);
  assert.equal(s.send('x'), null, 'no key: nothing is sent');
});

test('saveResumeCode sends the lookup and K wrapped under the code key, and waits for saved', async () => {
  const s = session({ who: 'victim', what: 'domestic', danger: false, lang: 'fr' });
  await assert.rejects(s.saveResumeCode(keys()), /offline/, 'not before welcome');
  s.connect();
  const ws = FakeWebSocket.last;
  ws.open();
  ws.receive({ t: 'welcome', conv: 'c', token: 'R', exit: 'E', state: 'active' });
  const k = keys();
  const saved = s.saveResumeCode(k);
  const [frame] = ws.sentOf('resume_code');
  assert.equal(frame.lookup, toBase64(k.lookup));
  assert.deepEqual(unwrapConversationKey(fromBase64(frame.wrapped_key), k.wrap), s.key);
  ws.receive({ t: 'resume_code', saved: true });
  await saved;

  const refused = s.saveResumeCode(keys());
  ws.receive({ t: 'error', code: 'closed', message: 'this conversation is closed' });
  await assert.rejects(refused, /this conversation is closed/);
  assert.equal(named('onNotice').length, 0, 'the resume panel says it, not the notice line');

  const unanswered = s.saveResumeCode(keys());
  mock.timers.tick(15000);
  await assert.rejects(unanswered, /timeout/);
  s.exit();
});

test('the chat runs the resume KDF only with sane parameters from the ticket answer', () => {
  const good = { salt: toBase64(nacl.randomBytes(16)), alg: 'argon2id13', ops: 3, mem: 64 << 20, digits: 16 };
  const p = resumeParams(good);
  assert.ok(p);
  assert.equal(p.salt.length, 16);
  assert.deepEqual([p.ops, p.mem], [3, 64 << 20]);
  for (const bad of [undefined, null, 'x', { ...good, alg: 'scrypt' }, { ...good, digits: 12 },
    { ...good, ops: 0 }, { ...good, ops: 2.5 }, { ...good, mem: 1024 }, { ...good, mem: 2 ** 31 },
    { ...good, salt: toBase64(nacl.randomBytes(8)) }, { ...good, salt: 'not base64!' }]) {
    assert.equal(resumeParams(bad), null, JSON.stringify(bad));
  }
});
