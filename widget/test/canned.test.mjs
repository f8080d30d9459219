// canned.js: which replies a conversation offers, the checks before saving,
// and the client of /console/api/canned (never throws; keeps the last list).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CannedReplies, forConversation, problem } from '../src/console/canned.js';

const reply = (id, lang, title) => ({ id, lang, title, text: `${title}.`, updated_at: 1 });
const ALL = [reply(1, 'en', 'Hello'), reply(2, 'es', 'Hola'), reply(3, 'es', 'Seguridad'), reply(4, 'fr', 'Bonjour')];

test("the conversation's language first, then the operator's, nothing else", () => {
  assert.deepEqual(forConversation(ALL, 'es', 'fr').map((r) => r.id), [2, 3, 4]);
  assert.deepEqual(forConversation(ALL, 'fr', 'fr').map((r) => r.id), [4]);
  assert.deepEqual(forConversation(ALL, 'uk', 'en').map((r) => r.id), [1]);
  assert.deepEqual(forConversation([], 'es', 'fr'), []);
});

test('a reply is checked like the server does', () => {
  const ok = { lang: 'pt-BR', title: 'Olá', text: 'Olá.' };
  assert.equal(problem(ok), null);
  assert.equal(problem({ ...ok, title: '  ' }), 'canned.missing');
  assert.equal(problem({ ...ok, lang: '' }), 'canned.missing');
  assert.equal(problem({ ...ok, lang: 'Spanish' }), 'canned.badLang');
  assert.equal(problem({ ...ok, title: 'x'.repeat(81) }), 'canned.titleTooLong');
  assert.equal(problem({ ...ok, title: 'x'.repeat(80) }), null);
  assert.equal(problem({ ...ok, text: 'x'.repeat(2001) }), 'canned.textTooLong');
});

test('load keeps what the server sent, and the last good list when it fails', async () => {
  let answer = () => new Response(JSON.stringify({ replies: [...ALL, { id: 'x' }] }));
  const canned = new CannedReplies({ fetch: async () => answer() });
  let told = 0;
  canned.subscribe(() => { told += 1; });
  assert.equal(canned.loaded, false);
  await canned.load();
  assert.deepEqual(canned.replies, ALL); // the malformed one is dropped
  assert.equal(canned.failed, false);
  answer = () => new Response('{}', { status: 500 });
  await canned.load();
  assert.deepEqual(canned.replies, ALL);
  assert.equal(canned.failed, true);
  assert.equal(told, 2);
});

test('save and remove send JSON, give the server\'s error, and reload', async () => {
  const calls = [];
  const answers = [
    new Response(JSON.stringify({ reply: reply(5, 'es', 'Nueva') }), { status: 201 }),
    new Response(JSON.stringify({ replies: [reply(5, 'es', 'Nueva')] })),
    new Response(JSON.stringify({ error: 'canned replies are managed by supervisors' }), { status: 403 }),
    new Response(JSON.stringify({ replies: [reply(5, 'es', 'Nueva')] })),
    new Response(null, { status: 204 }),
    new Response(JSON.stringify({ replies: [] })),
  ];
  const canned = new CannedReplies({
    fetch: async (url, init) => {
      calls.push([init.method, url, init.body]);
      return answers.shift();
    },
  });
  const added = await canned.save({ lang: ' es ', title: ' Nueva ', text: 'Texto \n' }, null);
  assert.deepEqual(added, { ok: true, reply: reply(5, 'es', 'Nueva') });
  assert.deepEqual(canned.replies, [reply(5, 'es', 'Nueva')]);
  const refused = await canned.save({ lang: 'es', title: 'Otra', text: 'Otra' }, 5);
  assert.deepEqual(refused, { ok: false, error: 'canned replies are managed by supervisors' });
  assert.deepEqual(await canned.remove(5), { ok: true, reply: undefined });
  assert.deepEqual(canned.replies, []);
  assert.deepEqual(calls, [
    ['POST', '/console/api/canned', JSON.stringify({ lang: 'es', title: 'Nueva', text: 'Texto' })],
    ['GET', '/console/api/canned', undefined],
    ['PUT', '/console/api/canned/5', JSON.stringify({ lang: 'es', title: 'Otra', text: 'Otra' })],
    ['GET', '/console/api/canned', undefined],
    ['DELETE', '/console/api/canned/5', undefined],
    ['GET', '/console/api/canned', undefined],
  ]);
});

test('an unreachable server is an error without a sentence', async () => {
  const canned = new CannedReplies({ fetch: async () => { throw new TypeError('network'); } });
  assert.deepEqual(await canned.remove(1), { ok: false, error: '' });
  assert.equal(canned.failed, true);
});
