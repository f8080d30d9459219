// The operator's side of the protocol (docs/protocol.md "Operator socket"),
// with no DOM: conversation keys, last sequence per conversation, messages
// not yet acknowledged. Desk secret keys and conversation keys stay in memory.
import {
  openSealedKey,
  encryptMessage,
  decryptMessage,
  fromBase64,
  toBase64,
  randomId,
  wipe,
} from '../shared/crypto.js';
import { ReconnectingSocket } from '../shared/socket.js';

const MAX_BODY = 64 * 1024;
export const OUTCOMES = ['information', 'referral', 'report', 'emergency', 'person_left'];

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
 * @typedef {object} Conversation
 * @property {ConvId} conv as the server sent it
 * @property {string} key string form of conv
 * @property {string} who
 * @property {string} what
 * @property {boolean} danger
 * @property {string} lang
 * @property {string} state waiting | active | closed
 * @property {string} person connected | disconnected | quick_exit
 * @property {string} [outcome]
 * @property {Uint8Array | null} k null when the sealed key did not open
 * @property {number} lastSeq
 * @property {Set<number>} seen
 * @property {Map<string, string>} pending client id → body, until acked
 * @property {Set<string>} ownIds
 * @property {number} syncedOn connection number of the last sync
 *
 * @typedef {object} DeskEvents
 * @property {(operator: Record<string, unknown>) => void} onOperator
 * @property {(items: Array<Record<string, unknown>>) => void} onQueue
 * @property {(c: Conversation, isNew: boolean, accepted: boolean) => void} onConversation
 *   accepted: the answer to our own accept
 * @property {(c: Conversation, m: {seq: number, from: string, text: string | null, ts: number}) => void} onMessage
 * @property {(c: Conversation, id: string, seq: number) => void} onAck
 * @property {(c: Conversation, id: string) => void} onFailed
 * @property {(c: Conversation) => void} onPresence
 * @property {(c: Conversation) => void} onClosed
 * @property {(code: string, message: string, conv?: string) => void} onError
 * @property {(state: string) => void} onConnection
 */

export class Desk {
  /**
   * @param {string} url the operator websocket URL
   * @param {Map<string, Uint8Array>} deskKeys desk key id → secret key
   * @param {DeskEvents} events
   */
  constructor(url, deskKeys, events) {
    this.deskKeys = deskKeys;
    this.events = events;
    /** @type {Map<string, Conversation>} */
    this.conversations = new Map();
    /** @type {Set<string>} accepted by us (convKey), history on its way */
    this.accepting = new Set();
    this.connection = 0;
    this.socket = new ReconnectingSocket(url, {
      onOpen: () => this.onOpen(),
      onFrame: (f) => this.onFrame(f),
      onState: (s) => this.events.onConnection(s),
    });
  }

  start() {
    this.socket.start();
  }

  /** @private */
  onOpen() {
    this.connection += 1;
    this.accepting.clear();
    // Catch up on every conversation still open, then re-send what was not
    // acknowledged (same client ids: the server drops duplicates).
    for (const c of this.conversations.values()) {
      if (c.state !== 'closed') this.sync(c);
    }
  }

  /** @private @param {Conversation} c */
  sync(c) {
    c.syncedOn = this.connection;
    this.socket.send({ v: 1, t: 'sync', conv: c.conv, after: c.lastSeq });
    for (const [id, body] of c.pending) this.socket.send({ v: 1, t: 'msg', conv: c.conv, id, body });
  }

  /** @param {ConvId} conv */
  accept(conv) {
    this.accepting.add(String(conv));
    return this.socket.send({ v: 1, t: 'accept', conv });
  }

  /**
   * @param {string} key convKey of the conversation @param {string} text
   * @returns {string | null} client id, or null (unknown, no key, too large)
   */
  send(key, text) {
    const c = this.conversations.get(key);
    if (!c || !c.k || c.state === 'closed') return null;
    const body = toBase64(encryptMessage(c.k, { type: 'text', text }));
    if (body.length > MAX_BODY) return null;
    const id = randomId();
    c.pending.set(id, body);
    c.ownIds.add(id);
    this.socket.send({ v: 1, t: 'msg', conv: c.conv, id, body });
    return id;
  }

  /** @param {string} key convKey @param {string} outcome */
  close(key, outcome) {
    const c = this.conversations.get(key);
    if (!c || !OUTCOMES.includes(outcome)) return false;
    return this.socket.send({ v: 1, t: 'close', conv: c.conv, outcome });
  }

  /** Forget a closed conversation and its key. @param {string} key convKey */
  dismiss(key) {
    const c = this.conversations.get(key);
    if (!c) return;
    wipe(c.k);
    this.conversations.delete(key);
  }

  /** Logout: close the socket and wipe every key we hold. */
  stop() {
    this.socket.stop();
    for (const c of this.conversations.values()) wipe(c.k);
    this.conversations.clear();
    for (const sk of this.deskKeys.values()) wipe(sk);
    this.deskKeys.clear();
  }

  /** @private @param {import('../shared/socket.js').Frame} f */
  onFrame(f) {
    const key = convKey(f.conv);
    const c = key === undefined ? undefined : this.conversations.get(key);
    switch (f.t) {
      case 'hello':
        if (f.operator && typeof f.operator === 'object') this.events.onOperator(/** @type {any} */ (f.operator));
        break;
      case 'queue':
        if (Array.isArray(f.items)) this.events.onQueue(f.items.filter((i) => i && convKey(i.conv) !== undefined));
        break;
      case 'conversation':
        this.onConversation(f);
        break;
      case 'msg':
        if (c) this.onMsg(c, f);
        break;
      case 'ack':
        if (c && typeof f.id === 'string' && typeof f.seq === 'number' && c.pending.delete(f.id)) {
          this.events.onAck(c, f.id, f.seq);
        }
        break;
      case 'presence':
        if (c && typeof f.person === 'string') {
          c.person = f.person;
          this.events.onPresence(c);
        }
        break;
      case 'closed':
        if (c) {
          c.state = 'closed';
          c.outcome = typeof f.outcome === 'string' ? f.outcome : undefined;
          for (const id of c.pending.keys()) this.events.onFailed(c, id);
          c.pending.clear();
          this.events.onClosed(c);
        }
        break;
      case 'error':
        this.onError(f);
        break;
      default:
        break; // pong, and frames newer than this console
    }
  }

  /** @private @param {import('../shared/socket.js').Frame} f */
  onConversation(f) {
    const key = convKey(f.conv);
    if (key === undefined) return;
    const known = this.conversations.get(key);
    /** @type {Conversation} */
    const c = known ?? {
      conv: /** @type {ConvId} */ (f.conv), key, who: '', what: '', danger: false, lang: '', state: '', person: '',
      k: null, lastSeq: 0, seen: new Set(), pending: new Map(), ownIds: new Set(), syncedOn: 0,
    };
    c.who = String(f.who ?? '');
    c.what = String(f.what ?? '');
    c.danger = f.danger === true;
    c.lang = String(f.lang ?? '');
    c.state = String(f.state ?? '');
    c.person = String(f.person ?? '');
    if (!c.k) c.k = this.openKey(f.sealed_key, f.desk_key);
    this.conversations.set(key, c);
    const accepted = this.accepting.delete(key);
    this.events.onConversation(c, !known, accepted);
    if (accepted) return; // accept answers with the history
    const behind = typeof f.last_seq !== 'number' || f.last_seq > c.lastSeq;
    if (behind && c.syncedOn !== this.connection) this.sync(c);
  }

  /** @private @param {unknown} sealed @param {unknown} deskId @returns {Uint8Array | null} */
  openKey(sealed, deskId) {
    // String(): the id may travel as a number; the Map is keyed by strings.
    const sk = deskId === undefined || deskId === null ? undefined : this.deskKeys.get(String(deskId));
    if (!sk || typeof sealed !== 'string') return null;
    try {
      return openSealedKey(fromBase64(sealed), sk);
    } catch {
      return null;
    }
  }

  /** @private @param {Conversation} c @param {import('../shared/socket.js').Frame} f */
  onMsg(c, f) {
    const seq = f.seq;
    if (typeof seq !== 'number' || c.seen.has(seq)) return;
    c.seen.add(seq);
    if (seq > c.lastSeq) c.lastSeq = seq;
    if (f.from === 'operator' && typeof f.id === 'string' && c.ownIds.has(f.id)) {
      if (c.pending.delete(f.id)) this.events.onAck(c, f.id, seq);
      return;
    }
    let text = null;
    if (c.k) {
      try {
        const body = decryptMessage(c.k, fromBase64(String(f.body)));
        if (body.type === 'text' && typeof body.text === 'string') text = body.text;
      } catch {
        // shown as "could not decrypt"
      }
    }
    this.events.onMessage(c, { seq, from: String(f.from), text, ts: typeof f.ts === 'number' ? f.ts : Date.now() });
  }

  /** @private @param {import('../shared/socket.js').Frame} f */
  onError(f) {
    const code = String(f.code ?? '');
    const conv = convKey(f.conv);
    const c = conv === undefined ? undefined : this.conversations.get(conv);
    if (conv !== undefined && code === 'taken') this.accepting.delete(conv);
    if (c && typeof f.id === 'string' && c.pending.delete(f.id)) this.events.onFailed(c, f.id);
    this.events.onError(code, String(f.message ?? ''), conv);
  }
}
