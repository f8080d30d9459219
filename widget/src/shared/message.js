// Chat message bodies (docs/protocol.md "Crypto formats (v1)", message
// binding): the plaintext carries the frame's client id and sender, so a
// ciphertext the server replays under another id or sender is refused.
import { encryptMessage, decryptMessage, toBase64, fromBase64 } from './crypto.js';

/**
 * Encrypt a text message bound to its client id and sender.
 * @param {Uint8Array} key conversation key K
 * @param {string} text
 * @param {string} id the client id of the msg frame that will carry it
 * @param {'person' | 'operator'} from
 * @returns {string} base64 body
 */
export function sealText(key, text, id, from) {
  // Key order matters: the bytes are those of JSON.stringify, as Python writes them.
  return toBase64(encryptMessage(key, { type: 'text', text, id, from }));
}

/**
 * The text of a received msg frame, or null when it does not decrypt, is not
 * a text, or is bound to another client id or sender than its frame's.
 * @param {Uint8Array | null} key
 * @param {Record<string, unknown>} frame a msg frame (its id, from and body are used)
 * @returns {string | null}
 */
export function openText(key, frame) {
  if (!key || typeof frame.body !== 'string') return null;
  try {
    const m = decryptMessage(key, fromBase64(frame.body));
    if (m.type !== 'text' || typeof m.text !== 'string') return null;
    if (m.id !== frame.id || m.from !== frame.from) return null;
    return m.text;
  } catch {
    return null; // never any part of a plaintext that did not check out
  }
}
