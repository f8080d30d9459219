// operators.js: the client of /console/api/operators and /console/api/desk/rotate
// (never throws; gives the server's sentence), and what the section says after a
// removal or a rotation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OperatorsApi, removalLines, removeUrl, rotationLines } from '../src/console/operators.js';
import { lookup } from '../src/shared/i18n.js';
import enTable from '../src/locales/en.json' with { type: 'json' };
import frTable from '../src/locales/fr.json' with { type: 'json' };

const consoleStrings = { en: enTable.console, fr: frTable.console };

const en = lookup(consoleStrings.en);
const fr = lookup(consoleStrings.fr);
const sue = { username: 'sue', role: 'supervisor', removed: false, capacity: null, held: 0 };
const bob = { username: 'bob', role: 'operator', removed: true, capacity: 2, held: 1 };

test('a username is one path segment, whatever it holds', () => {
  assert.equal(removeUrl('bob'), '/console/api/operators/bob/remove');
  assert.equal(removeUrl('team/b ?#'), '/console/api/operators/team%2Fb%20%3F%23/remove');
});

test('the list keeps well-formed accounts and the desk key', async () => {
  const calls = [];
  const api = new OperatorsApi({
    fetch: async (url, init) => {
      calls.push([init.method, url, init.credentials, init.cache]);
      return new Response(JSON.stringify({
        operators: [sue, bob, { username: 'odd' }], desk_key: { id: 'ab12', created_at: 1700000000.5 }, you: 'sue',
      }));
    },
  });
  const listed = await api.list();
  assert.deepEqual(listed, { ok: true, accounts: { operators: [sue, bob], deskKey: { id: 'ab12', created_at: 1700000000.5 }, you: 'sue' } });
  assert.deepEqual(calls, [['GET', '/console/api/operators', 'same-origin', 'no-store']]);
});

test("changes are POSTs; a refusal gives the server's sentence, a network failure ''", async () => {
  const calls = [];
  const answers = [
    new Response(JSON.stringify({ removed: 'bob', held: 1, desk_key: { id: 'cd34', created_at: 1 } })),
    new Response(JSON.stringify({ error: 'you cannot remove your own account: ask another supervisor' }), { status: 409 }),
    new Response('oops', { status: 502 }),
  ];
  const api = new OperatorsApi({
    fetch: async (url, init) => {
      calls.push([init.method, url]);
      const answer = answers.shift();
      if (!answer) throw new TypeError('Failed to fetch');
      return answer;
    },
  });
  assert.deepEqual(await api.remove('bob'), { ok: true, body: { removed: 'bob', held: 1, desk_key: { id: 'cd34', created_at: 1 } } });
  assert.deepEqual(await api.remove('sue'), { ok: false, error: 'you cannot remove your own account: ask another supervisor' });
  assert.deepEqual(await api.rotate(), { ok: false, error: 'HTTP 502' });
  assert.deepEqual(await api.rotate(), { ok: false, error: '' });
  assert.deepEqual(await api.list(), { ok: false, error: '' });
  assert.deepEqual(calls.slice(0, 3), [
    ['POST', '/console/api/operators/bob/remove'],
    ['POST', '/console/api/operators/sue/remove'],
    ['POST', '/console/api/desk/rotate'],
  ]);
});

test('after a removal: the new key, the conversations held, and logging in again', () => {
  const held = removalLines({ removed: 'bob', held: 2, desk_key: { id: 'cd34', created_at: 1 } }, en);
  assert.deepEqual(held, [
    'bob was removed; new conversations use desk key cd34, which they cannot open.',
    'bob held 2 conversation(s) in progress: they are now in “Needs attention” and on the floor, marked “account '
      + 'removed”, for a supervisor to take over. Their open consoles were closed.',
    'Consoles open now, yours included, do not hold the new key: operators must log out and log in again to read '
      + 'conversations started from now on.',
  ]);
  const none = removalLines({ removed: 'bob', held: 0, desk_key: { id: 'cd34', created_at: 1 } }, fr);
  assert.equal(none[1], 'bob n’avait aucune discussion en cours.');
  assert.match(none[2], /se déconnecter puis se reconnecter/);
});

test('after a rotation: the new key, who has it, and logging in again', () => {
  const lines = rotationLines({ desk_key: { id: 'ef56', created_at: 1 }, sealed_to: 3 }, en);
  assert.deepEqual(lines, [
    'New desk key ef56, sealed to 3 operator(s): conversations started from now on use it.',
    en('operators.relogin'),
  ]);
});

test('every string of the section exists in English and in French', () => {
  const keys = Object.keys(consoleStrings.en).filter((k) => k.startsWith('operators.'));
  assert.ok(keys.length >= 20);
  for (const key of keys) assert.ok(consoleStrings.fr[key], `fr lacks ${key}`);
});
