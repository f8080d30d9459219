// Operator login: prelogin (salt and KDF parameters), Argon2id in the browser,
// login with the auth key only, then unwrap the desk keys with the wrap key.
// The wrap key and the password never leave this function's scope.
import {
  deriveOperatorKeys,
  unwrapDeskKey,
  publicKeyOf,
  bytesEqual,
  fromBase64,
  toBase64,
  wipe,
} from '../shared/crypto.js';

/** Why a login failed, as an i18n key: badCredentials | serverError | noDeskKey. */
export class LoginError extends Error {
  /** @param {'badCredentials' | 'serverError' | 'noDeskKey'} reason */
  constructor(reason) {
    super(reason);
    this.reason = reason;
  }
}

/**
 * @typedef {object} LoggedIn
 * @property {{id: unknown, username: string, role: string}} operator
 * @property {Map<string, Uint8Array>} deskKeys desk key id → secret key
 * @property {Record<string, any>} settings the console's own (web/floor_api.py): lang,
 *   danger_realert_after
 */

/** @type {RequestInit} */
const FETCH = { credentials: 'same-origin', cache: 'no-store' };

/**
 * @param {string} username
 * @param {string} password
 * @param {() => void} onUnlocking called when the (slow) key derivation starts
 * @returns {Promise<LoggedIn>}
 */
export async function login(username, password, onUnlocking) {
  const pre = await json(await request(`/console/api/prelogin?username=${encodeURIComponent(username)}`, FETCH));
  const kdf = pre.kdf;
  if (!kdf || kdf.alg !== 'argon2id13' || typeof pre.salt !== 'string') throw new LoginError('serverError');
  onUnlocking();
  let keys;
  try {
    keys = await deriveOperatorKeys(password, fromBase64(pre.salt), { ops: kdf.ops, mem: kdf.mem });
  } catch {
    throw new LoginError('serverError');
  }
  const { auth, wrap } = keys;
  try {
    const response = await request('/console/api/login', {
      ...FETCH,
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, auth: toBase64(auth) }),
    });
    wipe(auth);
    if (response.status === 401 || response.status === 403) throw new LoginError('badCredentials');
    const data = await json(response);
    const deskKeys = unwrapAll(Array.isArray(data.desk_keys) ? data.desk_keys : [], wrap);
    if (deskKeys.size === 0) throw new LoginError('noDeskKey');
    // settings: the console language kept with the account, the DANGER re-alert delay
    return { operator: data.operator ?? {}, deskKeys, settings: data.settings && typeof data.settings === 'object' ? data.settings : {} };
  } finally {
    wipe(auth);
    wipe(wrap);
  }
}

/** Clear the console cookie; errors do not matter, the page forgets anyway. */
export async function logout() {
  try {
    await fetch('/console/api/logout', { ...FETCH, method: 'POST' });
  } catch {
    // offline: the cookie expires on its own
  }
}

/**
 * Unwrap each desk key; keep only those that open and match their advertised
 * public key (a mismatch would seal nothing we could read).
 * @param {Array<{id: string, public?: string, wrapped: string}>} list
 * @param {Uint8Array} wrap
 */
function unwrapAll(list, wrap) {
  /** @type {Map<string, Uint8Array>} */
  const out = new Map();
  for (const dk of list) {
    try {
      const sk = unwrapDeskKey(fromBase64(dk.wrapped), wrap);
      if (dk.public && !bytesEqual(publicKeyOf(sk), fromBase64(dk.public))) {
        wipe(sk);
        continue;
      }
      out.set(String(dk.id), sk);
    } catch {
      // a key wrapped for another password: skip it
    }
  }
  return out;
}

/** @param {string} url @param {RequestInit} init */
async function request(url, init) {
  try {
    return await fetch(url, init);
  } catch {
    throw new LoginError('serverError');
  }
}

/** @param {Response} response */
async function json(response) {
  if (!response.ok) throw new LoginError('serverError');
  try {
    return await response.json();
  } catch {
    throw new LoginError('serverError');
  }
}
