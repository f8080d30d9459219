// Tests for widget/src/shared/crypto.js: `node --test widget/test/`.
//
// Cross-language vectors: set PNAV_VECTORS to a JSON file (tests/sdk/test_crypto_interop.py
// writes one with pnav.sdk.crypto). Every section is required; byte strings are standard base64.
//
//   {
//     "version": 1,
//     "sealed_keys":       [{"desk_secret", "sealed", "key"}],          openSealedKey(sealed, desk_secret) == key
//     "messages":          [{"key", "body", "plaintext": {...}}],      decryptMessage(key, body) deep-equals plaintext
//     "bad_messages":      [{"key", "body"}],                          decryptMessage throws CryptoError
//     "operator_keys":     [{"password", "salt", "ops", "mem", "auth", "wrap"}],
//                                                                      deriveOperatorKeys(password, salt, {ops, mem})
//     "wrapped_desk_keys": [{"wrap_key", "wrapped", "desk_secret", "desk_public"?}]
//                                                                      unwrapDeskKey(wrapped, wrap_key) == desk_secret
//   }
//
// These vectors are made fresh with random nonces: they check that JS opens what Python
// made; the round-trips below print JS-made blobs that Python tests can open in turn
// (PNAV_VECTORS_OUT=path writes them in the same format, plus "resume_codes":
// [{"code", "salt", "ops", "mem", "lookup", "wrapped_key", "key"}]). The committed,
// byte-exact vectors are checked by vectors.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import nacl from 'tweetnacl';
import {
  CryptoError,
  toBase64,
  fromBase64,
  newConversationKey,
  sealConversationKey,
  openSealedKey,
  encryptMessage,
  decryptMessage,
  deriveOperatorKeys,
  unwrapDeskKey,
  wrapDeskKey,
  publicKeyOf,
  randomId,
  newResumeCode,
  normaliseResumeCode,
  formatResumeCode,
  deriveResumeKeys,
  wrapConversationKey,
  unwrapConversationKey,
} from '../src/shared/crypto.js';

const FAST_KDF = { ops: 2, mem: 8 * 1024 * 1024 };

test('base64 round-trips and is strict', () => {
  for (let n = 0; n < 70; n++) {
    const bytes = nacl.randomBytes(n);
    const text = toBase64(bytes);
    assert.equal(text, Buffer.from(bytes).toString('base64'));
    assert.deepEqual(fromBase64(text), bytes);
  }
  const big = nacl.randomBytes(200000);
  assert.deepEqual(fromBase64(toBase64(big)), big);
  for (const bad of ['abc', 'a===', 'ab-_', 'ab cd', '====', 42]) {
    assert.throws(() => fromBase64(/** @type {any} */ (bad)), CryptoError);
  }
});

test('randomId matches the protocol id alphabet', () => {
  const ids = new Set();
  for (let i = 0; i < 100; i++) {
    const id = randomId();
    assert.match(id, /^[A-Za-z0-9_-]{1,64}$/);
    ids.add(id);
  }
  assert.equal(ids.size, 100);
});

test('sealed conversation key round-trips, layout is 0x01||eph||nonce||box', () => {
  const desk = nacl.box.keyPair();
  const key = newConversationKey();
  assert.equal(key.length, 32);
  const sealed = sealConversationKey(key, desk.publicKey);
  assert.equal(sealed.length, 1 + 32 + 24 + 32 + 16);
  assert.equal(sealed[0], 1);
  assert.deepEqual(openSealedKey(sealed, desk.secretKey), key);
  // Two seals of the same key differ (fresh ephemeral key and nonce).
  assert.notDeepEqual(sealConversationKey(key, desk.publicKey), sealed);
  assert.throws(() => openSealedKey(sealed, nacl.box.keyPair().secretKey), CryptoError);
  const tampered = sealed.slice();
  tampered[40] ^= 1;
  assert.throws(() => openSealedKey(tampered, desk.secretKey), CryptoError);
  const v2 = sealed.slice();
  v2[0] = 2;
  assert.throws(() => openSealedKey(v2, desk.secretKey), CryptoError);
  assert.throws(() => openSealedKey(sealed.subarray(1), desk.secretKey), CryptoError);
});

test('messages round-trip and never return plaintext on failure', () => {
  const key = newConversationKey();
  const obj = { type: 'text', text: 'Bonjour é 漢字 🙂\nligne' };
  const body = encryptMessage(key, obj);
  assert.equal(body[0], 1);
  assert.deepEqual(decryptMessage(key, body), obj);
  assert.throws(() => decryptMessage(newConversationKey(), body), CryptoError);
  const tampered = body.slice();
  tampered[tampered.length - 1] ^= 1;
  assert.throws(() => decryptMessage(key, tampered), CryptoError);
  assert.throws(() => decryptMessage(key, body.subarray(0, 30)), CryptoError);
  assert.throws(() => decryptMessage(key, new Uint8Array(0)), CryptoError);
});

test('operator keys: 64 bytes of argon2id split into auth and wrap', async () => {
  const salt = nacl.randomBytes(16);
  const a = await deriveOperatorKeys('secret', salt, FAST_KDF);
  const b = await deriveOperatorKeys('secret', salt, FAST_KDF);
  assert.equal(a.auth.length, 32);
  assert.equal(a.wrap.length, 32);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.auth, a.wrap);
  const c = await deriveOperatorKeys('Secret', salt, FAST_KDF);
  assert.notDeepEqual(c.auth, a.auth);
  await assert.rejects(deriveOperatorKeys('secret', nacl.randomBytes(8), FAST_KDF), CryptoError);
});

test('desk key wrap round-trips', () => {
  const desk = nacl.box.keyPair();
  const wrapKey = nacl.randomBytes(32);
  const wrapped = wrapDeskKey(desk.secretKey, publicKeyOf(wrapKey));
  assert.equal(wrapped.length, 1 + 32 + 24 + 32 + 16);
  const sk = unwrapDeskKey(wrapped, wrapKey);
  assert.deepEqual(sk, desk.secretKey);
  assert.deepEqual(publicKeyOf(sk), desk.publicKey);
  assert.throws(() => unwrapDeskKey(wrapped, nacl.randomBytes(32)), CryptoError);
});

test('fixed nonce and ephemeral key (test vectors only) give fixed bytes; left out, random', () => {
  const key = newConversationKey();
  const nonce = nacl.randomBytes(24);
  const obj = { type: 'text', text: 'x', id: 'a', from: 'person' };
  assert.deepEqual(encryptMessage(key, obj, { nonce }), encryptMessage(key, obj, { nonce }));
  assert.deepEqual(encryptMessage(key, obj, { nonce }).subarray(1, 25), nonce);
  assert.notDeepEqual(encryptMessage(key, obj), encryptMessage(key, obj));
  assert.throws(() => encryptMessage(key, obj, { nonce: nacl.randomBytes(23) }), CryptoError);
  const desk = nacl.box.keyPair();
  const eph = nacl.box.keyPair();
  const sealed = sealConversationKey(key, desk.publicKey, { ephemeralSecret: eph.secretKey, nonce });
  assert.deepEqual(sealed.subarray(1, 33), eph.publicKey);
  assert.deepEqual(sealed.subarray(33, 57), nonce);
  assert.deepEqual(sealConversationKey(key, desk.publicKey, { ephemeralSecret: eph.secretKey, nonce }), sealed);
  assert.deepEqual(openSealedKey(sealed, desk.secretKey), key);
  assert.ok(eph.secretKey.some((x) => x !== 0), 'a caller-given ephemeral secret is not wiped');
  assert.throws(() => sealConversationKey(key, desk.publicKey, { ephemeralSecret: nacl.randomBytes(31) }), CryptoError);
  const wrapped = wrapDeskKey(desk.secretKey, publicKeyOf(key), { ephemeralSecret: eph.secretKey, nonce });
  assert.deepEqual(wrapped, wrapDeskKey(desk.secretKey, publicKeyOf(key), { ephemeralSecret: eph.secretKey, nonce }));
  assert.deepEqual(unwrapDeskKey(wrapped, key), desk.secretKey);
});

test('resume codes: 16 uniform digits in four groups, typed forms normalised', () => {
  const counts = new Array(10).fill(0);
  const codes = new Set();
  for (let i = 0; i < 500; i++) {
    const code = newResumeCode();
    assert.match(code, /^\d{4} \d{4} \d{4} \d{4}$/);
    codes.add(code);
    for (const c of code.replace(/ /g, '')) counts[Number(c)] += 1;
  }
  assert.equal(codes.size, 500);
  // 8000 digits: each of the ten appears about 800 times (rejection sampling, no bias to 0-5).
  for (const n of counts) assert.ok(n > 650 && n < 950, String(counts));
  assert.equal(normaliseResumeCode('0412 9930 1187 5526'), '0412993011875526');
  assert.equal(normaliseResumeCode(' 0412.9930-1187\t5526 '), '0412993011875526');
  assert.equal(formatResumeCode('0412993011875526'), '0412 9930 1187 5526');
  for (const bad of ['', '0412 9930 1187 552', '0412 9930 1187 55261', '0412 9930 1187 552a',
    '0412_9930_1187_5526', '٠٤١٢٩٩٣٠١١٨٧٥٥٢٦', '0412\n9930 1187 5526', /** @type {any} */ (412993011875526)]) {
    assert.throws(() => normaliseResumeCode(bad), CryptoError, String(bad));
  }
});

test('resume keys: argon2id of the digits; the wrapped key opens with the code only', async () => {
  const salt = nacl.randomBytes(16);
  const a = await deriveResumeKeys('0412 9930 1187 5526', salt, FAST_KDF);
  const b = await deriveResumeKeys('0412-9930-1187-5526', salt, FAST_KDF);
  assert.deepEqual(a, b, 'separators do not matter');
  assert.equal(a.lookup.length, 32);
  assert.equal(a.wrap.length, 32);
  const c = await deriveResumeKeys('0412 9930 1187 5527', salt, FAST_KDF);
  assert.notDeepEqual(c.lookup, a.lookup);
  await assert.rejects(deriveResumeKeys('0412 9930', salt, FAST_KDF), CryptoError);
  await assert.rejects(deriveResumeKeys('0412 9930 1187 5526', nacl.randomBytes(15), FAST_KDF), CryptoError);
  const key = newConversationKey();
  const wrapped = wrapConversationKey(key, a.wrap);
  assert.equal(wrapped.length, 1 + 24 + 16 + 32);
  assert.equal(wrapped[0], 1);
  assert.deepEqual(unwrapConversationKey(wrapped, a.wrap), key);
  assert.notDeepEqual(wrapConversationKey(key, a.wrap), wrapped, 'a fresh nonce each time');
  assert.throws(() => unwrapConversationKey(wrapped, c.wrap), CryptoError);
  const tampered = wrapped.slice();
  tampered[30] ^= 1;
  assert.throws(() => unwrapConversationKey(tampered, a.wrap), CryptoError);
  assert.throws(() => unwrapConversationKey(wrapped.subarray(0, 40), a.wrap), CryptoError);
  assert.throws(() => wrapConversationKey(key.subarray(1), a.wrap), CryptoError);
});

const vectorsPath = process.env.PNAV_VECTORS;
const VECTOR_SECTIONS = ['sealed_keys', 'messages', 'bad_messages', 'operator_keys', 'wrapped_desk_keys'];

test('cross-language vectors', { skip: vectorsPath ? false : 'PNAV_VECTORS not set' }, async () => {
  const v = JSON.parse(readFileSync(/** @type {string} */ (vectorsPath), 'utf8'));
  // Every section must be there and hold vectors: a missing one is a failure, not a pass.
  for (const section of VECTOR_SECTIONS) {
    assert.ok(Array.isArray(v[section]) && v[section].length > 0, `vectors file has no ${section}`);
  }
  const b = fromBase64;
  for (const s of v.sealed_keys) {
    assert.deepEqual(openSealedKey(b(s.sealed), b(s.desk_secret)), b(s.key));
  }
  for (const m of v.messages) {
    assert.deepEqual(decryptMessage(b(m.key), b(m.body)), m.plaintext);
  }
  for (const m of v.bad_messages) {
    assert.throws(() => decryptMessage(b(m.key), b(m.body)), CryptoError);
  }
  for (const o of v.operator_keys) {
    const keys = await deriveOperatorKeys(o.password, b(o.salt), { ops: o.ops, mem: o.mem });
    assert.equal(toBase64(keys.auth), o.auth);
    assert.equal(toBase64(keys.wrap), o.wrap);
  }
  for (const w of v.wrapped_desk_keys) {
    const sk = unwrapDeskKey(b(w.wrapped), b(w.wrap_key));
    assert.deepEqual(sk, b(w.desk_secret));
    if (w.desk_public) assert.deepEqual(publicKeyOf(sk), b(w.desk_public));
  }
});

test('write JS-made vectors for the Python side', { skip: process.env.PNAV_VECTORS_OUT ? false : 'PNAV_VECTORS_OUT not set' }, async () => {
  const desk = nacl.box.keyPair();
  const key = newConversationKey();
  const salt = nacl.randomBytes(16);
  const keys = await deriveOperatorKeys('mot de passe é', salt, FAST_KDF);
  const plaintext = { type: 'text', text: 'Bonjour é 漢字 🙂' };
  const code = newResumeCode();
  const resumeSalt = nacl.randomBytes(16);
  const resumeKeys = await deriveResumeKeys(code, resumeSalt, FAST_KDF);
  const out = {
    version: 1,
    sealed_keys: [{ desk_secret: toBase64(desk.secretKey), sealed: toBase64(sealConversationKey(key, desk.publicKey)), key: toBase64(key) }],
    messages: [{ key: toBase64(key), body: toBase64(encryptMessage(key, plaintext)), plaintext }],
    operator_keys: [{ password: 'mot de passe é', salt: toBase64(salt), ...FAST_KDF, auth: toBase64(keys.auth), wrap: toBase64(keys.wrap) }],
    wrapped_desk_keys: [{ wrap_key: toBase64(keys.wrap), wrapped: toBase64(wrapDeskKey(desk.secretKey, publicKeyOf(keys.wrap))), desk_secret: toBase64(desk.secretKey), desk_public: toBase64(desk.publicKey) }],
    resume_codes: [{ code, salt: toBase64(resumeSalt), ...FAST_KDF, lookup: toBase64(resumeKeys.lookup), wrapped_key: toBase64(wrapConversationKey(key, resumeKeys.wrap)), key: toBase64(key) }],
  };
  writeFileSync(/** @type {string} */ (process.env.PNAV_VECTORS_OUT), JSON.stringify(out, null, 2) + '\n');
});
