// Private notes and whispers (docs/protocol.md "Crypto formats (v1)", notes):
// encrypted with the conversation key like a message, the plaintext bound to
// the writer's client id, username and the note's kind, so a ciphertext the
// server hands out under another author or kind is refused; and the desk's
// side of the `note` frames. No DOM here.
import { encryptMessage, decryptMessage, toBase64, fromBase64, randomId } from '../shared/crypto.js';
import { MAX_BODY } from './conversation-state.js';

const NOTE_KINDS = ['note', 'whisper'];

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

/**
 * @typedef {import('./conversation-state.js').Conversation} Conversation
 * @typedef {Pick<import('./desk-connection.js').DeskEvents, 'onNote' | 'onNoteFailed'>} NoteEvents
 * @typedef {{cid: string} | {problem: 'noKey' | 'tooLong' | 'offline' | 'unknown'}} NoteSent
 */

/**
 * The desk's private notes: written, handed back by the server (ours
 * included, kept once), refused, or lost with a connection.
 */
export class DeskNotes {
  /**
   * @param {import('../shared/socket.js').ReconnectingSocket} socket
   * @param {NoteEvents} events
   */
  constructor(socket, events) {
    this.socket = socket;
    this.events = events;
  }

  /**
   * Seal and send a note; the answer is a `note` frame with our client id, or
   * an error.
   * @param {Conversation} c @param {string} text @param {string} kind note | whisper
   * @param {string} me our username @param {number} connection
   * @returns {NoteSent}
   */
  write(c, text, kind, me, connection) {
    if (c.state === 'closed' || !NOTE_KINDS.includes(kind)) return { problem: 'unknown' };
    if (!c.k) return { problem: 'noKey' };
    const cid = randomId();
    const body = sealNote(c.k, text, cid, me, kind);
    if (body.length > MAX_BODY) return { problem: 'tooLong' };
    if (!this.socket.send({ v: 1, t: 'note', conv: c.conv, id: cid, kind, body })) return { problem: 'offline' };
    c.pendingNotes.set(cid, connection);
    return { cid };
  }

  /**
   * A note or whisper, live or with the conversation: kept once (by the
   * server's number and by the writer's client id), then shown.
   * @param {Conversation} c @param {unknown} raw @param {string} cid ours, if it answers our note
   */
  take(c, raw, cid) {
    const note = readNote(c.k, raw);
    if (!note) return;
    if (cid) c.pendingNotes.delete(cid);
    if (note.cid) c.pendingNotes.delete(note.cid);
    if (c.notes.some((n) => n.id === note.id || (note.cid !== null && n.cid === note.cid && n.author === note.author))) return;
    c.notes.push(note);
    this.events.onNote?.(c, note);
  }

  /**
   * An error with a client id: ours if it is a note not handed back yet.
   * @param {Conversation} c @param {string} cid @param {string} code
   * @returns {boolean} whether it was one
   */
  refused(c, cid, code) {
    if (!c.pendingNotes.delete(cid)) return false;
    this.events.onNoteFailed?.(c, cid, code);
    return true;
  }

  /**
   * Every conversation frame of a new connection is in. Notes are not sent
   * again by themselves: what the server did not hand back is said.
   * @param {Conversation} c @param {number} connection
   */
  settle(c, connection) {
    for (const [cid, sentOn] of c.pendingNotes) {
      if (sentOn === connection) continue;
      c.pendingNotes.delete(cid);
      this.events.onNoteFailed?.(c, cid, 'offline');
    }
  }
}
