// pnav crypto, version 1: the only browser module that touches NaCl or Argon2.
// Byte formats are those of docs/protocol.md "Crypto formats (v1)"; the Python
// side (PyNaCl / libsodium) must produce and accept the very same bytes.
// NaCl's crypto_box and crypto_secretbox from the audited @noble primitives
// (X25519, HSalsa20, XSalsa20-Poly1305) rather than tweetnacl: the same bytes
// without tweetnacl's signing code, a third of its size in every bundle.
import { montgomery } from '@noble/curves/abstract/montgomery';
import { invert } from '@noble/curves/abstract/modular';
import { hsalsa, xsalsa20poly1305 } from '@noble/ciphers/salsa';
import { equalBytes, u32, u8 } from '@noble/ciphers/utils';

/** Format version byte that prefixes every sealed, wrapped or encrypted blob. */
export const FORMAT_V1 = 0x01;

const NONCE = 24; // crypto_secretbox_NONCEBYTES, crypto_box_NONCEBYTES
const KEY = 32; // crypto_secretbox_KEYBYTES, crypto_box_SECRETKEYBYTES
const BOX_PK = 32; // crypto_box_PUBLICKEYBYTES
const MAC = 16; // crypto_secretbox_MACBYTES

// Curve25519 as RFC 7748 defines X25519 over it: p = 2^255 - 19, scalars clamped.
const P = 2n ** 255n - 19n;
const x25519 = montgomery({
  P,
  type: 'x25519',
  powPminus2: (x) => invert(x, P),
  adjustScalarBytes: (bytes) => {
    bytes[0] &= 248;
    bytes[31] &= 127;
    bytes[31] |= 64;
    return bytes;
  },
});
// HSalsa20's constant, "expand 32-byte k", as four little-endian words.
const SIGMA = u32(new TextEncoder().encode('expand 32-byte k'));

/** @param {number} n @returns {Uint8Array} n bytes of the browser's CSPRNG */
function randomBytes(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

/**
 * crypto_box_beforenm: HSalsa20 of the X25519 shared secret (libsodium refuses an
 * all-zero one, and so does noble: a CryptoError here).
 * @param {Uint8Array} publicKey @param {Uint8Array} secretKey @returns {Uint8Array}
 */
function boxKey(publicKey, secretKey) {
  let shared;
  try {
    shared = x25519.scalarMult(secretKey, publicKey);
  } catch {
    throw new CryptoError('bad public key');
  }
  const out = new Uint32Array(8);
  hsalsa(SIGMA, u32(shared), new Uint32Array(4), out);
  wipe(shared);
  return u8(out);
}

/**
 * crypto_secretbox_easy: mac(16) || ciphertext.
 * @param {Uint8Array} key @param {Uint8Array} nonce @param {Uint8Array} plain
 */
function secretbox(key, nonce, plain) {
  return xsalsa20poly1305(key, nonce).encrypt(plain);
}

/**
 * crypto_secretbox_open_easy, or null when it does not authenticate.
 * @param {Uint8Array} key @param {Uint8Array} nonce @param {Uint8Array} boxed
 * @returns {Uint8Array | null}
 */
function secretboxOpen(key, nonce, boxed) {
  try {
    return xsalsa20poly1305(key, nonce).decrypt(boxed);
  } catch {
    return null;
  }
}

/** Every failure to open, unwrap or decrypt; never carries plaintext. */
export class CryptoError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'CryptoError';
  }
}

// ---------------------------------------------------------------- base64

const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Standard base64 with padding.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function toBase64(bytes) {
  let bin = '';
  // Chunked so that large bodies do not overflow the argument limit.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + 0x8000)));
  }
  return btoa(bin);
}

/**
 * Strict standard base64 (padding required); throws CryptoError otherwise.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function fromBase64(text) {
  if (typeof text !== 'string' || !B64_RE.test(text)) throw new CryptoError('bad base64');
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// ---------------------------------------------------------------- helpers

/** @param {...Uint8Array} parts @returns {Uint8Array} */
function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** @param {unknown} bytes @param {number} length @param {string} what */
function expectBytes(bytes, length, what) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new CryptoError(`${what} must be ${length} bytes`);
  }
}

/**
 * Overwrite key material we no longer need. JS gives no guarantee that no copy
 * survives, but this shortens the window for the copies we own.
 * @param {Uint8Array | null | undefined} bytes
 */
export function wipe(bytes) {
  if (bytes instanceof Uint8Array) bytes.fill(0);
}

/**
 * A random client message id: 16 bytes as base64url without padding
 * (22 characters of [A-Za-z0-9_-], as the protocol requires).
 * @returns {string}
 */
export function randomId() {
  return toBase64(randomBytes(16)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// ---------------------------------------------------------------- conversation key

/** @returns {Uint8Array} a fresh 32-byte conversation key K */
export function newConversationKey() {
  return randomBytes(KEY);
}

/**
 * @typedef {object} SealOptions for test vectors only: left out, both are fresh
 *   random values, as they must be
 * @property {Uint8Array} [ephemeralSecret] the ephemeral X25519 secret key (32 bytes)
 * @property {Uint8Array} [nonce] 24 bytes
 */

/**
 * Seal K to the desk public key: 0x01 || eph_pk(32) || nonce(24) || box(K).
 * A fresh ephemeral key pair per call, so the person keeps no long-term secret.
 * @param {Uint8Array} key conversation key K (32 bytes)
 * @param {Uint8Array} deskPublic desk X25519 public key (32 bytes)
 * @param {SealOptions} [options] test vectors only
 * @returns {Uint8Array}
 */
export function sealConversationKey(key, deskPublic, { ephemeralSecret, nonce } = {}) {
  expectBytes(key, KEY, 'conversation key');
  expectBytes(deskPublic, BOX_PK, 'desk public key');
  if (ephemeralSecret !== undefined) expectBytes(ephemeralSecret, KEY, 'ephemeral secret key');
  const ephSecret = ephemeralSecret === undefined ? randomBytes(KEY) : ephemeralSecret.slice();
  const ephPublic = publicKeyOf(ephSecret);
  const n = nonceOr(nonce);
  const shared = boxKey(deskPublic, ephSecret);
  wipe(ephSecret);
  const boxed = secretbox(shared, n, key);
  wipe(shared);
  return concat(Uint8Array.of(FORMAT_V1), ephPublic, n, boxed);
}

/**
 * Console side: recover K from a sealed key with the desk secret key.
 * @param {Uint8Array} sealed
 * @param {Uint8Array} deskSecret desk X25519 secret key (32 bytes)
 * @returns {Uint8Array} K
 */
export function openSealedKey(sealed, deskSecret) {
  expectBytes(deskSecret, KEY, 'desk secret key');
  if (!(sealed instanceof Uint8Array) || sealed.length !== 1 + BOX_PK + NONCE + MAC + KEY) {
    throw new CryptoError('bad sealed key length');
  }
  if (sealed[0] !== FORMAT_V1) throw new CryptoError('unknown sealed key version');
  const ephPk = sealed.subarray(1, 1 + BOX_PK);
  const nonce = sealed.subarray(1 + BOX_PK, 1 + BOX_PK + NONCE);
  const shared = boxKey(ephPk, deskSecret);
  const key = secretboxOpen(shared, nonce, sealed.subarray(1 + BOX_PK + NONCE));
  wipe(shared);
  if (!key) throw new CryptoError('sealed key does not open');
  return key;
}

// ---------------------------------------------------------------- secretbox blobs

/**
 * The given nonce (test vectors only), else a fresh random one.
 * @param {Uint8Array | undefined} nonce @returns {Uint8Array}
 */
function nonceOr(nonce) {
  if (nonce === undefined) return randomBytes(NONCE);
  expectBytes(nonce, NONCE, 'nonce');
  return nonce;
}

/**
 * 0x01 || nonce(24) || secretbox(plain, nonce, key)
 * @param {Uint8Array} key @param {Uint8Array} plain @param {Uint8Array} [nonce] test vectors only
 * @returns {Uint8Array}
 */
function seal(key, plain, nonce) {
  expectBytes(key, KEY, 'key');
  const n = nonceOr(nonce);
  return concat(Uint8Array.of(FORMAT_V1), n, secretbox(key, n, plain));
}

/**
 * Inverse of seal(); throws CryptoError on any defect.
 * @param {Uint8Array} key @param {Uint8Array} blob @returns {Uint8Array}
 */
function unseal(key, blob) {
  expectBytes(key, KEY, 'key');
  if (!(blob instanceof Uint8Array) || blob.length < 1 + NONCE + MAC) {
    throw new CryptoError('ciphertext too short');
  }
  if (blob[0] !== FORMAT_V1) throw new CryptoError('unknown ciphertext version');
  const plain = secretboxOpen(key, blob.subarray(1, 1 + NONCE), blob.subarray(1 + NONCE));
  if (!plain) throw new CryptoError('ciphertext does not open');
  return plain;
}

/**
 * The bytes that get encrypted: compact UTF-8 JSON, keys in the object's order
 * (JSON.stringify; Python's message_plaintext writes the same bytes).
 * @param {object} obj @returns {Uint8Array}
 */
export function messagePlaintext(obj) {
  return new TextEncoder().encode(JSON.stringify(obj));
}

/**
 * Encrypt a message object (`{type: 'text', text, id, from}`) under K.
 * @param {Uint8Array} key K
 * @param {object} obj
 * @param {{nonce?: Uint8Array}} [options] test vectors only: left out, a fresh random nonce
 * @returns {Uint8Array}
 */
export function encryptMessage(key, obj, { nonce } = {}) {
  return seal(key, messagePlaintext(obj), nonce);
}

/**
 * Decrypt a message body under K. Throws CryptoError rather than ever returning
 * something that is not an authenticated JSON object.
 * @param {Uint8Array} key K
 * @param {Uint8Array} bytes
 * @returns {Record<string, unknown>}
 */
export function decryptMessage(key, bytes) {
  const plain = unseal(key, bytes);
  let obj;
  try {
    obj = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain));
  } catch {
    throw new CryptoError('plaintext is not UTF-8 JSON');
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new CryptoError('plaintext is not a JSON object');
  }
  return obj;
}

// ---------------------------------------------------------------- operator keys

/**
 * @typedef {object} KdfParams
 * @property {number} ops libsodium opslimit (Argon2 iterations)
 * @property {number} mem libsodium memlimit in bytes
 */

/**
 * Argon2id (v1.3) over the operator password, as libsodium crypto_pwhash
 * ARGON2ID13 with opslimit=ops, memlimit=mem: 64 bytes, parallelism 1,
 * memory in KiB = mem / 1024.
 * @param {string} password
 * @param {Uint8Array} salt 16 bytes
 * @param {KdfParams} params
 * @returns {Promise<{auth: Uint8Array, wrap: Uint8Array}>}
 */
export async function deriveOperatorKeys(password, salt, params) {
  const out = await argon2id64(password, salt, params);
  const result = { auth: out.slice(0, 32), wrap: out.slice(32, 64) };
  wipe(out);
  return result;
}

/**
 * @typedef {(options: {password: string, salt: Uint8Array, parallelism: number,
 *   iterations: number, memorySize: number, hashLength: number, outputType: 'binary'})
 *   => Promise<Uint8Array>} Argon2id
 */

/** @type {() => Promise<Argon2id>} where Argon2id comes from: hash-wasm, imported when first needed */
let argon2Loader = () => import('./argon2-impl.js').then((m) => m.argon2id);
/** @type {Promise<Argon2id> | null} */
let argon2 = null;

/**
 * Where Argon2id comes from. The chat bundle leaves hash-wasm out (it is only for
 * resume codes) and loads widget/argon2.js from the server when a code is made or typed.
 * @param {() => Promise<Argon2id>} loader
 */
export function setArgon2Loader(loader) {
  argon2Loader = loader;
  argon2 = null;
}

/** @returns {Promise<Argon2id>} */
function loadArgon2() {
  if (!argon2) {
    argon2 = argon2Loader().catch((err) => {
      argon2 = null; // a failed load (network) may be tried again
      throw err;
    });
  }
  return argon2;
}

/**
 * 64 bytes of Argon2id v1.3, as libsodium's crypto_pwhash(ARGON2ID13).
 * @param {string} password UTF-8 encoded by hash-wasm
 * @param {Uint8Array} salt 16 bytes
 * @param {KdfParams} params
 * @returns {Promise<Uint8Array>}
 */
async function argon2id64(password, salt, { ops, mem }) {
  expectBytes(salt, 16, 'salt');
  if (!Number.isInteger(ops) || ops < 1 || !Number.isInteger(mem) || mem < 8192) {
    throw new CryptoError('bad KDF parameters');
  }
  const argon2id = await loadArgon2();
  return argon2id({
    password,
    salt,
    parallelism: 1,
    iterations: ops,
    memorySize: Math.floor(mem / 1024),
    hashLength: 64,
    outputType: 'binary',
  });
}

/**
 * Recover a desk secret key sealed to the operator: the wrap key is the
 * operator's X25519 secret key, and the wrapped desk key is in the sealed-key
 * format (0x01 || eph_pk(32) || nonce(24) || box(desk_sk)).
 * @param {Uint8Array} wrapped
 * @param {Uint8Array} wrapKey
 * @returns {Uint8Array} desk secret key (32 bytes)
 */
export function unwrapDeskKey(wrapped, wrapKey) {
  return openSealedKey(wrapped, wrapKey);
}

/**
 * Inverse of unwrapDeskKey: seal a desk secret key to an operator's public key
 * (publicKeyOf(wrap key)). The server side does this in Python.
 * @param {Uint8Array} deskSecret @param {Uint8Array} operatorPublic
 * @param {SealOptions} [options] test vectors only
 * @returns {Uint8Array}
 */
export function wrapDeskKey(deskSecret, operatorPublic, options = {}) {
  expectBytes(deskSecret, KEY, 'desk secret key');
  return sealConversationKey(deskSecret, operatorPublic, options);
}

/**
 * The X25519 public key of a secret key, to check an unwrapped desk key
 * against the public key the server advertises.
 * @param {Uint8Array} secret @returns {Uint8Array}
 */
export function publicKeyOf(secret) {
  return x25519.getPublicKey(secret);
}

/** @param {Uint8Array} a @param {Uint8Array} b @returns {boolean} */
export function bytesEqual(a, b) {
  return equalBytes(a, b);
}

// ---------------------------------------------------------------- resume codes
// docs/protocol.md "Resume code": 16 decimal digits (about 53 bits), shown in
// four groups; Argon2id of the digits with the deployment's salt gives the
// lookup id (sent; the server keeps only its hash) and the code wrap key
// (never sent), which wraps K. Mirrors pnav.sdk.crypto byte for byte.

/** Digits in a resume code. */
export const RESUME_DIGITS = 16;

/**
 * "1234567890123456" → "1234 5678 9012 3456".
 * @param {string} digits
 * @returns {string}
 */
export function formatResumeCode(digits) {
  return digits.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/**
 * A fresh code from the browser's CSPRNG, "1234 5678 9012 3456". Rejection
 * sampling (bytes of 250 and over are drawn again) keeps every digit uniform.
 * @returns {string}
 */
export function newResumeCode() {
  let digits = '';
  const bytes = new Uint8Array(32);
  while (digits.length < RESUME_DIGITS) {
    globalThis.crypto.getRandomValues(bytes);
    for (const b of bytes) {
      if (b < 250 && digits.length < RESUME_DIGITS) digits += String(b % 10);
    }
  }
  wipe(bytes);
  return formatResumeCode(digits);
}

/**
 * The code's 16 digits only: spaces, dots, dashes and tabs a person types are
 * dropped; anything else (or another number of digits) is a CryptoError.
 * @param {string} text
 * @returns {string}
 */
export function normaliseResumeCode(text) {
  const digits = typeof text === 'string' ? text.replace(/[ .\-\t]/g, '') : '';
  if (!new RegExp(`^[0-9]{${RESUME_DIGITS}}$`).test(digits)) {
    throw new CryptoError(`a resume code is ${RESUME_DIGITS} digits`);
  }
  return digits;
}

/**
 * Argon2id (v1.3) over the code's 16 ASCII digits with the deployment's salt
 * (ticket answer `resume`): the first 32 bytes are the lookup id, the last 32
 * the code wrap key.
 * @param {string} code as typed or shown
 * @param {Uint8Array} salt 16 bytes
 * @param {KdfParams} params
 * @returns {Promise<{lookup: Uint8Array, wrap: Uint8Array}>}
 */
export async function deriveResumeKeys(code, salt, params) {
  const out = await argon2id64(normaliseResumeCode(code), salt, params);
  const result = { lookup: out.slice(0, 32), wrap: out.slice(32, 64) };
  wipe(out);
  return result;
}

/**
 * K wrapped under a code wrap key: 0x01 || nonce(24) || secretbox(K, nonce, wrap).
 * @param {Uint8Array} key K (32 bytes)
 * @param {Uint8Array} wrap code wrap key (32 bytes)
 * @param {{nonce?: Uint8Array}} [options] test vectors only: left out, a fresh random nonce
 * @returns {Uint8Array}
 */
export function wrapConversationKey(key, wrap, { nonce } = {}) {
  expectBytes(key, KEY, 'conversation key');
  return seal(wrap, key, nonce);
}

/**
 * Inverse of wrapConversationKey; throws CryptoError on any defect.
 * @param {Uint8Array} wrapped @param {Uint8Array} wrap @returns {Uint8Array} K
 */
export function unwrapConversationKey(wrapped, wrap) {
  const key = unseal(wrap, wrapped);
  if (key.length !== KEY) throw new CryptoError('wrapped conversation key has the wrong length');
  return key;
}
