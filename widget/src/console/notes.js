// Private notes and whispers (docs/protocol.md "Crypto formats (v1)", notes):
// encrypted with the conversation key like a message, the plaintext bound to
// the writer's client id, username and the note's kind, so a ciphertext the
// server hands out under another author or kind is refused. No DOM here.
import { encryptMessage, decryptMessage, toBase64, fromBase64 } from '../shared/crypto.js';

export const NOTE_KINDS = ['note', 'whisper'];

/**
 * @typedef {object} Note
 * @property {number} id the server's number for it
 * @property {string} author username
 * @property {string} kind note | whisper
 * @property {number} ts epoch ms
 * @property {string | null} text null when it did not decrypt or check out
 * @property {string | null} cid the writer's client id (from inside the ciphertext)
 */

/**
 * Encrypt a note.
 * @param {Uint8Array} key conversation key K
 * @param {string} text
 * @param {string} id the client id of the note frame that will carry it
 * @param {string} from the writer's username
 * @param {string} kind note | whisper
 * @returns {string} base64 body
 */
export function sealNote(key, text, id, from, kind) {
  // Key order matters: the bytes are those of JSON.stringify, as Python writes them.
  return toBase64(encryptMessage(key, { type: 'note', text, id, from, kind }));
}

/**
 * A note as the server sent it (in a `note` frame or a conversation's
 * `notes`), decrypted and checked; null when its shape is wrong.
 * @param {Uint8Array | null} key
 * @param {unknown} raw
 * @returns {Note | null}
 */
export function readNote(key, raw) {
  if (!raw || typeof raw !== 'object') return null;
  const x = /** @type {Record<string, unknown>} */ (raw);
  if (typeof x.id !== 'number' || typeof x.author !== 'string' || !NOTE_KINDS.includes(String(x.kind))) return null;
  const note = { id: x.id, author: x.author, kind: String(x.kind), ts: typeof x.ts === 'number' ? x.ts : 0, text: null, cid: null };
  if (!key || typeof x.body !== 'string') return note;
  try {
    const m = decryptMessage(key, fromBase64(x.body));
    if (m.type !== 'note' || m.from !== x.author || m.kind !== x.kind) return note;
    if (typeof m.text !== 'string' || typeof m.id !== 'string') return note;
    return { ...note, text: m.text, cid: m.id };
  } catch {
    return note; // shown as "could not decrypt", never in any other form
  }
}
