// Tests for widget/src/shared/crypto.js: `node --test widget/test/`.
//
// Cross-language vectors: set PNAV_VECTORS to a JSON file (tests/sdk/test_crypto_interop.py
// writes one with pnav.sdk.crypto). Every section is optional; byte strings are standard base64.
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
// Since every encryption uses a random nonce, vectors check that JS opens what Python
// made; the round-trips below print JS-made blobs that Python tests can open in turn
// (PNAV_VECTORS_OUT=path writes them in the same format).
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

const vectorsPath = process.env.PNAV_VECTORS;

test('cross-language vectors', { skip: vectorsPath ? false : 'PNAV_VECTORS not set' }, async () => {
  const v = JSON.parse(readFileSync(/** @type {string} */ (vectorsPath), 'utf8'));
  const b = fromBase64;
  for (const s of v.sealed_keys ?? []) {
    assert.deepEqual(openSealedKey(b(s.sealed), b(s.desk_secret)), b(s.key));
  }
  for (const m of v.messages ?? []) {
    assert.deepEqual(decryptMessage(b(m.key), b(m.body)), m.plaintext);
  }
  for (const m of v.bad_messages ?? []) {
    assert.throws(() => decryptMessage(b(m.key), b(m.body)), CryptoError);
  }
  for (const o of v.operator_keys ?? []) {
    const keys = await deriveOperatorKeys(o.password, b(o.salt), { ops: o.ops, mem: o.mem });
    assert.equal(toBase64(keys.auth), o.auth);
    assert.equal(toBase64(keys.wrap), o.wrap);
  }
  for (const w of v.wrapped_desk_keys ?? []) {
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
  const out = {
    version: 1,
    sealed_keys: [{ desk_secret: toBase64(desk.secretKey), sealed: toBase64(sealConversationKey(key, desk.publicKey)), key: toBase64(key) }],
    messages: [{ key: toBase64(key), body: toBase64(encryptMessage(key, plaintext)), plaintext }],
    operator_keys: [{ password: 'mot de passe é', salt: toBase64(salt), ...FAST_KDF, auth: toBase64(keys.auth), wrap: toBase64(keys.wrap) }],
    wrapped_desk_keys: [{ wrap_key: toBase64(keys.wrap), wrapped: toBase64(wrapDeskKey(desk.secretKey, publicKeyOf(keys.wrap))), desk_secret: toBase64(desk.secretKey), desk_public: toBase64(desk.publicKey) }],
  };
  writeFileSync(/** @type {string} */ (process.env.PNAV_VECTORS_OUT), JSON.stringify(out, null, 2) + '\n');
});
