// What the operator's desk knows of a conversation (docs/protocol.md
// "Operator socket"), read from the server's frames with no socket and no
// DOM: its key opened with a desk key, its handover notes decrypted, and the
// supervisors' "needs attention" items. Keys stay in memory.
import { openSealedKey, decryptMessage, fromBase64 } from '../shared/crypto.js';
import { SeqTracker } from '../shared/seq.js';

/** The server refuses a larger message, note or handover body. */
export const MAX_BODY = 64 * 1024;
export const OUTCOMES = ['information', 'referral', 'report', 'emergency', 'person_left', 'abuse'];

/**
 * Conversation ids are opaque: kept as the server sent them (string or number)
 * for frames going back, and keyed by their string form here and in the DOM.
 * @typedef {string | number} ConvId
 * @param {unknown} conv
 * @returns {string | undefined}
 */
export function convKey(conv) {
  return typeof conv === 'string' || typeof conv === 'number' ? String(conv) : undefined;
}

/**
 * @typedef {object} Handover
 * @property {string} from username
 * @property {string} to username
 * @property {number} ts epoch ms
 * @property {string | null} text the decrypted note; null when it could not be decrypted
 *
 * @typedef {object} Conversation
 * @property {ConvId} conv as the server sent it
 * @property {string} key string form of conv
 * @property {string} who
 * @property {string} what
 * @property {boolean} danger
 * @property {string} lang
 * @property {string} state waiting | active | closed
 * @property {string} person connected | reconnecting | gone | quick_exit
 * @property {string} [outcome]
 * @property {Uint8Array | null} k null when the sealed key did not open
 * @property {SeqTracker} seqs sequence numbers seen, by msg or ack
 * @property {Map<string, string>} pending client id → body, until acked
 * @property {Set<string>} ownIds
 * @property {Set<string>} shownIds client ids of the messages shown
 * @property {number} syncedOn connection number of the last catch-up sync
 * @property {Handover[]} handovers oldest first
 * @property {boolean} [duress] the person signalled that someone is with them
 * @property {boolean} observing a supervisor reading along: no replies, no closing
 * @property {string} operator username of the operator who holds it
 * @property {string[]} observers usernames of the supervisors observing it
 * @property {import('./notes.js').Note[]} notes private notes and whispers, oldest first
 * @property {Map<string, number>} pendingNotes our notes not handed back yet: client id → connection number
 *
 * @typedef {object} AttentionItem
 * @property {ConvId} conv
 * @property {string} key string form of conv
 * @property {string} operator username of the operator who holds it
 * @property {string} reason operator_away, or something newer
 * @property {number} since epoch ms
 * @property {string} who
 * @property {string} what
 * @property {boolean} danger
 * @property {unknown} sealed_key
 * @property {unknown} desk_key
 *
 * @typedef {import('../shared/socket.js').Frame} Frame
 */

/** @param {ConvId} conv @param {string} key @returns {Conversation} */
export function newConversation(conv, key) {
  return {
    conv, key, who: '', what: '', danger: false, lang: '', state: '', person: '',
    k: null, seqs: new SeqTracker(), pending: new Map(), ownIds: new Set(), shownIds: new Set(), syncedOn: 0, handovers: [],
    observing: false, operator: '', observers: [], notes: [], pendingNotes: new Map(),
  };
}

/**
 * Take in a `conversation` frame (its notes aside): metadata, the key if it
 * is not open yet, the handover notes, who holds and who observes it.
 * @param {Conversation} c @param {Frame} f @param {Map<string, Uint8Array>} deskKeys
 * @returns {boolean} whether the duress flag changed
 */
export function readConversation(c, f, deskKeys) {
  c.who = String(f.who ?? '');
  c.what = String(f.what ?? '');
  c.danger = f.danger === true;
  c.lang = String(f.lang ?? '');
  c.state = String(f.state ?? '');
  c.person = String(f.person ?? '');
  const duress = f.duress === true;
  const duressChanged = duress !== (c.duress === true);
  c.duress = duress;
  if (!c.k) c.k = openKey(deskKeys, f.sealed_key, f.desk_key);
  c.handovers = readHandovers(c.k, f.handovers);
  c.observing = f.observing === true;
  c.operator = String(f.operator ?? '');
  c.observers = Array.isArray(f.observers) ? f.observers.filter((u) => typeof u === 'string') : [];
  return duressChanged;
}

/**
 * Whether the operator may write to the person: the key opened, not closed,
 * and not a supervisor reading along.
 * @param {Conversation} c
 */
export function writable(c) {
  return !!c.k && c.state !== 'closed' && !c.observing;
}

/**
 * A conversation key sealed to one of the desk keys, opened; null when that
 * desk key is not ours or the seal does not open.
 * @param {Map<string, Uint8Array>} deskKeys @param {unknown} sealed @param {unknown} deskId
 * @returns {Uint8Array | null}
 */
export function openKey(deskKeys, sealed, deskId) {
  // String(): the id may travel as a number; the Map is keyed by strings.
  const sk = deskId === undefined || deskId === null ? undefined : deskKeys.get(String(deskId));
  if (!sk || typeof sealed !== 'string') return null;
  try {
    return openSealedKey(fromBase64(sealed), sk);
  } catch {
    return null;
  }
}

/**
 * Decrypt handover notes; one that does not open is shown as such, never
 * in any other form.
 * @param {Uint8Array | null} k @param {unknown} list @returns {Handover[]}
 */
function readHandovers(k, list) {
  if (!Array.isArray(list)) return [];
  return list.filter((x) => x && typeof x === 'object').map((x) => {
    let text = null;
    if (k && typeof x.note === 'string') {
      try {
        const note = decryptMessage(k, fromBase64(x.note));
        if (note.type === 'note' && typeof note.text === 'string') text = note.text;
      } catch {
        // shown as "could not decrypt"
      }
    }
    return { from: String(x.from ?? ''), to: String(x.to ?? ''), ts: typeof x.ts === 'number' ? x.ts : 0, text };
  });
}

/**
 * The items of an `attention` frame, by convKey; malformed ones left out.
 * @param {unknown[]} raw @returns {Map<string, AttentionItem>}
 */
export function readAttention(raw) {
  /** @type {Map<string, AttentionItem>} */
  const items = new Map();
  for (const x of raw) {
    if (!x || typeof x !== 'object') continue;
    const i = /** @type {Record<string, unknown>} */ (x);
    const key = convKey(i.conv);
    if (key === undefined) continue;
    items.set(key, {
      conv: /** @type {ConvId} */ (i.conv), key,
      operator: String(i.operator ?? ''), reason: String(i.reason ?? ''),
      since: typeof i.since === 'number' ? i.since : 0,
      who: String(i.who ?? ''), what: String(i.what ?? ''), danger: i.danger === true,
      sealed_key: i.sealed_key, desk_key: i.desk_key,
    });
  }
  return items;
}
