// The checks of the cross-language vectors (tests/vectors/crypto-v1.json), with
// the widget's crypto module only: no Node API, so the very same code runs in
// Node (vectors.test.mjs) and in Chromium (tests/e2e/test_vectors_browser.py
// bundles it with esbuild). Each check rebuilds every output byte from the
// vector's inputs, as tests/sdk/test_vectors.py does with PyNaCl.
import {
  CryptoError,
  toBase64,
  fromBase64,
  messagePlaintext,
  encryptMessage,
  decryptMessage,
  sealConversationKey,
  openSealedKey,
  publicKeyOf,
  deriveOperatorKeys,
  wrapDeskKey,
  unwrapDeskKey,
  deriveResumeKeys,
  wrapConversationKey,
  unwrapConversationKey,
} from '../src/shared/crypto.js';

/** @typedef {Record<string, any>} Vector */

const b = fromBase64;

/** A check that did not hold. */
export class VectorMismatch extends Error {
  /** @param {string} what */
  constructor(what) {
    super(what);
    this.name = 'VectorMismatch';
  }
}

/** @param {unknown} got @param {unknown} want @param {string} what */
function same(got, want, what) {
  const g = got instanceof Uint8Array ? toBase64(got) : JSON.stringify(got);
  const w = want instanceof Uint8Array ? toBase64(want) : JSON.stringify(want);
  if (g !== w) throw new VectorMismatch(`${what}: got ${g.slice(0, 60)}, want ${w.slice(0, 60)}`);
}

/** @param {Vector} v */
async function checkMessage(v) {
  const key = b(v.key);
  same(new TextDecoder().decode(messagePlaintext(v.content)), v.plaintext, 'plaintext');
  same(toBase64(encryptMessage(key, v.content, { nonce: b(v.nonce) })), v.body, 'body');
  const got = decryptMessage(key, b(v.body));
  same(got, v.content, 'decrypted content');
  // Bound to its frame: the inner id and sender are the frame's.
  same([got.id, got.from], [v.content.id, v.content.from], 'inner id and sender');
}

/** @param {Vector} v */
async function checkSealed(v) {
  const deskSecret = b(v.desk_secret);
  same(toBase64(publicKeyOf(deskSecret)), v.desk_public, 'desk public key');
  const sealed = sealConversationKey(b(v.key), b(v.desk_public), {
    ephemeralSecret: b(v.ephemeral_secret),
    nonce: b(v.nonce),
  });
  same(toBase64(sealed), v.sealed, 'sealed key');
  same(toBase64(openSealedKey(b(v.sealed), deskSecret)), v.key, 'opened key');
}

/** @param {Vector} v */
async function checkOperator(v) {
  const keys = await deriveOperatorKeys(v.password, b(v.salt), { ops: v.ops, mem: v.mem });
  const pub = publicKeyOf(keys.wrap);
  same([toBase64(keys.auth), toBase64(keys.wrap), toBase64(pub)], [v.auth, v.wrap, v.public], 'auth, wrap, public');
  const wrapped = wrapDeskKey(b(v.desk_secret), pub, { ephemeralSecret: b(v.ephemeral_secret), nonce: b(v.nonce) });
  same(toBase64(wrapped), v.wrapped_desk_key, 'wrapped desk key');
  same(toBase64(unwrapDeskKey(b(v.wrapped_desk_key), keys.wrap)), v.desk_secret, 'unwrapped desk key');
}

/** @param {Vector} v */
async function checkResume(v) {
  const keys = await deriveResumeKeys(v.code, b(v.salt), { ops: v.ops, mem: v.mem });
  same([toBase64(keys.lookup), toBase64(keys.wrap)], [v.lookup, v.wrap], 'lookup, wrap');
  const wrapped = wrapConversationKey(b(v.key), keys.wrap, { nonce: b(v.nonce) });
  same(toBase64(wrapped), v.wrapped_key, 'wrapped conversation key');
  same(toBase64(unwrapConversationKey(b(v.wrapped_key), keys.wrap)), v.key, 'unwrapped conversation key');
}

/** @param {Vector} v */
async function checkRefused(v) {
  try {
    decryptMessage(b(v.key), b(v.body));
  } catch (e) {
    if (e instanceof CryptoError) return;
    throw e;
  }
  throw new VectorMismatch(`accepted a message that must be refused (${v.why})`);
}

/** @type {Record<string, (v: Vector) => Promise<void>>} */
export const CHECKS = {
  messages: checkMessage,
  sealed_keys: checkSealed,
  operators: checkOperator,
  resume_codes: checkResume,
  refused_messages: checkRefused,
};

/**
 * The vector with one byte changed, once per field that carries bytes or text
 * (the mutations of tests/sdk/test_vectors.py, plus the fields of a nested
 * object such as a message's content): base64 fields get their middle byte's
 * low bit flipped, text fields their middle character's.
 * @param {Vector} v
 * @returns {{field: string, vector: Vector}[]}
 */
export function mutations(v) {
  /** @type {{field: string, vector: Vector}[]} */
  const out = [];
  for (const [name, value] of Object.entries(v)) {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      // A nested object (a message's content): each of its fields in turn.
      for (const inner of mutations(value)) {
        out.push({ field: `${name}.${inner.field}`, vector: { ...structuredClone(v), [name]: inner.vector } });
      }
      continue;
    }
    if (typeof value !== 'string' || name === 'why') continue;
    const bad = structuredClone(v);
    let raw = null;
    try {
      raw = fromBase64(value);
    } catch {
      // text, not base64
    }
    if (raw && raw.length) {
      raw[Math.floor(raw.length / 2)] ^= 0x01;
      bad[name] = toBase64(raw);
    } else {
      if (!value) continue;
      const i = Math.floor(value.length / 2);
      bad[name] = value.slice(0, i) + String.fromCharCode(value.charCodeAt(i) ^ 0x01) + value.slice(i + 1);
    }
    out.push({ field: name, vector: bad });
  }
  return out;
}

/**
 * Run every check of every section; never throws.
 * @param {Record<string, any>} data the parsed vectors file
 * @returns {Promise<{passed: string[], failed: string[]}>} labels like "operators[1]"
 */
export async function checkVectors(data) {
  /** @type {string[]} */
  const passed = [];
  /** @type {string[]} */
  const failed = [];
  for (const [section, check] of Object.entries(CHECKS)) {
    const vectors = data[section];
    if (!Array.isArray(vectors) || !vectors.length) {
      failed.push(`${section}: no vectors`);
      continue;
    }
    for (const [i, v] of vectors.entries()) {
      try {
        await check(v);
        passed.push(`${section}[${i}]`);
      } catch (e) {
        failed.push(`${section}[${i}]: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  return { passed, failed };
}

/**
 * Change one byte of each field of the first vector of every section (the
 * refused ones excepted: they are meant to fail) and check again; every
 * mutation must make its check fail.
 * @param {Record<string, any>} data
 * @returns {Promise<{caught: string[], missed: string[]}>} labels like "resume_codes.salt"
 */
export async function checkMutations(data) {
  /** @type {string[]} */
  const caught = [];
  /** @type {string[]} */
  const missed = [];
  for (const [section, check] of Object.entries(CHECKS)) {
    if (section === 'refused_messages') continue;
    for (const { field, vector } of mutations(data[section][0])) {
      const label = `${section}.${field}`;
      try {
        await check(vector);
        missed.push(label);
      } catch (e) {
        if (e instanceof VectorMismatch || e instanceof CryptoError) caught.push(label);
        else missed.push(`${label} (${e instanceof Error ? e.name : 'error'}: not a refusal)`);
      }
    }
  }
  return { caught, missed };
}
