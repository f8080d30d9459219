// translate.js: the console's translation client never throws, never waits
// past its timeout, and learns the person's language from the answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestTranslation, Translations } from '../src/console/translate.js';

/** @param {number} status @param {unknown} body */
const answer = (status, body) => async () => new Response(JSON.stringify(body), { status });

test('a translation comes back with its detected source', async () => {
  let sent;
  const fetch = async (url, init) => {
    sent = { url, ...JSON.parse(init.body) };
    return new Response(JSON.stringify({ text: 'Hola', source: 'es', target: 'es', translated: true }));
  };
  const r = await requestTranslation({ text: 'Bonjour', source: 'fr', target: 'es', detect: false }, { fetch });
  assert.deepEqual(r, { text: 'Hola', source: 'es', target: 'es', translated: true });
  assert.deepEqual(sent, { url: '/console/api/translate', text: 'Bonjour', source: 'fr', target: 'es', detect: false });
});

test('failures give the original text, marked with a reason', async () => {
  const req = { text: 'Necesito ayuda', source: 'es', target: 'fr' };
  const cases = [
    [answer(500, { error: 'x' }), 'error'],
    [answer(429, { error: 'x' }), 'rate_limited'],
    [answer(200, { nonsense: true }), 'malformed'],
    [answer(200, { text: 'Necesito ayuda', translated: false, reason: 'timeout' }), 'timeout'],
    [async () => { throw new TypeError('network'); }, 'error'],
  ];
  for (const [fetch, reason] of cases) {
    const r = await requestTranslation(req, { fetch });
    assert.deepEqual(r, { text: 'Necesito ayuda', source: 'es', target: 'fr', translated: false, reason });
  }
});

test('a slow server is given up on at the timeout', async () => {
  const fetch = (_url, init) => new Promise((_resolve, reject) => {
    init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
  });
  const r = await requestTranslation({ text: 'hola', source: 'es', target: 'fr' }, { fetch, timeoutMs: 50 });
  assert.equal(r.translated, false);
  assert.equal(r.reason, 'timeout');
  assert.equal(r.text, 'hola');
});

test('the person language is learnt; off and same language ask nothing', async () => {
  const calls = [];
  const fetch = async (_url, init) => {
    const body = JSON.parse(init.body);
    calls.push(body);
    const text = body.target === 'fr' ? "J'ai besoin d'aide" : 'Estoy aquí';
    return new Response(JSON.stringify({ text, source: body.target === 'fr' ? 'es' : 'fr', target: body.target, translated: true }));
  };
  const tr = new Translations('fr', { fetch });
  const c = { key: '1', lang: 'en' };
  assert.equal((await tr.incoming(c, 'Necesito ayuda'))?.text, "J'ai besoin d'aide");
  assert.equal(tr.personLang(c), 'es');
  assert.equal((await tr.outgoing(c, 'Je suis là'))?.text, 'Estoy aquí');
  assert.deepEqual(calls[1], { text: 'Je suis là', source: 'fr', target: 'es', detect: false });
  assert.equal(await tr.outgoing({ key: '2', lang: 'fr' }, 'Bonjour'), null);
  tr.setEnabled('1', false);
  assert.equal(await tr.incoming(c, 'Hola'), null);
  assert.equal(calls.length, 2);
});

test('a server without a translator is not asked again', async () => {
  let n = 0;
  const fetch = async () => {
    n += 1;
    return new Response(JSON.stringify({ text: 'x', source: 'es', target: 'fr', translated: false, reason: 'disabled' }));
  };
  const tr = new Translations('fr', { fetch });
  await tr.incoming({ key: '1', lang: 'es' }, 'x');
  assert.equal(await tr.incoming({ key: '1', lang: 'es' }, 'y'), null);
  assert.equal(n, 1);
});

test('with no translator on the server, no text is ever sent', async () => {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push(init.method);
    return new Response(JSON.stringify({ available: false }));
  };
  const tr = new Translations('fr', { fetch });
  tr.check();
  assert.equal(await tr.incoming({ key: '1', lang: 'es' }, 'Necesito ayuda'), null);
  assert.equal(await tr.outgoing({ key: '1', lang: 'es' }, 'Bonjour'), null);
  assert.deepEqual(calls, ['GET']);
});
