// Chat message bodies (docs/protocol.md "Crypto formats (v1)", message
// binding): the plaintext carries the frame's client id and sender, so a
// ciphertext the server replays under another id or sender is refused.
import { encryptMessage, decryptMessage, toBase64, fromBase64 } from './crypto.js';
import { checkCard } from './card.js';

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
 * Encrypt a referral card (shared/card.js) from the operator, bound like a
 * text message; `text` is the card as plain text, for clients that show only
 * text.
 * @param {Uint8Array} key conversation key K
 * @param {import('./card.js').Card} card
 * @param {string} text
 * @param {string} id the client id of the msg frame that will carry it
 * @returns {string} base64 body
 */
export function sealReferral(key, card, text, id) {
  return toBase64(encryptMessage(key, { type: 'referral', text, id, from: 'operator', card }));
}

/**
 * A received msg frame's content: its text, and the card when it is a
 * referral from the operator whose card checks out (else the text alone).
 * null when it does not decrypt, is neither a text nor a referral, or is
 * bound to another client id or sender than its frame's.
 * @param {Uint8Array | null} key
 * @param {Record<string, unknown>} frame a msg frame (its id, from and body are used)
 * @returns {{text: string, card: import('./card.js').Card | null} | null}
 */
export function openMessage(key, frame) {
  if (!key || typeof frame.body !== 'string') return null;
  try {
    const m = decryptMessage(key, fromBase64(frame.body));
    if ((m.type !== 'text' && m.type !== 'referral') || typeof m.text !== 'string') return null;
    if (m.id !== frame.id || m.from !== frame.from) return null;
    const card = m.type === 'referral' && m.from === 'operator' ? checkCard(m.card) : null;
    return { text: m.text, card };
  } catch {
    return null; // never any part of a plaintext that did not check out
  }
}

/**
 * The text of a received msg frame (a referral's plain-text form), or null
 * as for openMessage.
 * @param {Uint8Array | null} key
 * @param {Record<string, unknown>} frame
 * @returns {string | null}
 */
export function openText(key, frame) {
  return openMessage(key, frame)?.text ?? null;
}
