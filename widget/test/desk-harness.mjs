// What the desk tests share (desk.test.mjs, supervision.test.mjs): a Desk on
// a scripted socket with every event it fires recorded, and conversation
// frames as the server sends them, their key sealed to the test's desk key.
import { mock, beforeEach, afterEach } from 'node:test';
import nacl from 'tweetnacl';
import { FakeWebSocket, installBrowserFakes } from './fakes.mjs';
import { Desk } from '../src/console/desk.js';
import { newConversationKey, sealConversationKey, toBase64 } from '../src/shared/crypto.js';

export const deskPair = nacl.box.keyPair();

/** @type {{name: string, args: any[]}[]} the desk's events, in order; emptied before each test */
const calls = [];

beforeEach(() => {
  installBrowserFakes();
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  calls.length = 0;
});
afterEach(() => mock.timers.reset());

/** The arguments of each call of one event. @param {string} name @returns {any[][]} */
export const named = (name) => calls.filter((c) => c.name === name).map((c) => c.args);

/**
 * A started desk whose socket is open.
 * @param {string} [username] when given, the server's `hello` for it came
 */
export function desk(username) {
  /** @type {any} */
  const events = new Proxy({}, { get: (_, name) => (...args) => calls.push({ name: String(name), args }) });
  const d = new Desk('ws://x/console/ws', new Map([['d1', deskPair.secretKey.slice()]]), events);
  d.start();
  FakeWebSocket.last.open();
  if (username) FakeWebSocket.last.receive({ t: 'hello', operator: { id: 1, username, role: 'supervisor' } });
  return d;
}

/** A conversation frame as the server sends it, and its key. @param {string} [conv] @param {object} [extra] */
export function conversation(conv = 'c1', extra = {}) {
  const k = newConversationKey();
  const frame = {
    t: 'conversation', conv, who: 'victim', what: 'domestic', danger: false, lang: 'fr',
    sealed_key: toBase64(sealConversationKey(k, deskPair.publicKey)), desk_key: 'd1',
    state: 'active', person: 'connected', last_seq: 0, handovers: [], ...extra,
  };
  return { k, frame };
}
