// The operator's side of the protocol (docs/protocol.md "Operator socket"),
// with no DOM: conversation keys, sequence numbers seen per conversation,
// messages not yet acknowledged, transfers, private notes and (for
// supervisors) the "needs attention" list, the floor and the conversations
// they observe. Desk secret keys and conversation keys stay in memory.
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
import { SeqTracker } from '../shared/seq.js';
import { sealText, openText } from '../shared/message.js';
import { sealNote, readNote, NOTE_KINDS } from './notes.js';

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
 * @typedef {'noKey' | 'tooLong' | 'offline' | 'unknown'} TransferProblem
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
 * @property {(c: Conversation) => void} [onDuress] `c.duress` changed
 * @property {(c: Conversation) => void} onClosed
 * @property {(key: string, to: string, held: boolean) => void} onTransferred
 *   held: it was one of our conversations (now forgotten, key wiped)
 * @property {(items: AttentionItem[]) => void} onAttention
 * @property {(c: Conversation) => void} onLost not announced again after a reconnect:
 *   closed or transferred while this console was away (now read-only)
 * @property {(key: string) => void} onTransferDropped a transfer sent before a
 *   reconnect did not happen; it may be tried again
 * @property {(code: string, message: string, conv: string | undefined, transfer: boolean) => void} onError
 *   transfer: the server refused our transfer of `conv`
 * @property {(state: string) => void} onConnection
 * @property {(c: Conversation, note: import('./notes.js').Note) => void} [onNote] a note
 *   or whisper came (ours included: `note.cid` is the id `note()` returned)
 * @property {(c: Conversation, cid: string, reason: string) => void} [onNoteFailed]
 *   reason: the server's error code, or "offline" (the connection dropped first)
 * @property {(c: Conversation, username: string, on: boolean) => void} [onObserver]
 *   a supervisor joined (on) or left the conversation
 * @property {(key: string) => void} [onLeft] we stopped observing (forgotten, key wiped)
 * @property {(c: Conversation) => void} [onTakenOver] our take-over went through
 * @property {(floor: Record<string, any>) => void} [onFloor] supervisors: the floor
 */

export class Desk {
  /**
   * @param {string} url the operator websocket URL
   * @param {Map<string, Uint8Array>} deskKeys desk key id → secret key
   * @param {DeskEvents} events
   * @param {import('../shared/socket.js').SocketOptions} [socketOptions]
   */
  constructor(url, deskKeys, events, socketOptions) {
    this.deskKeys = deskKeys;
    this.events = events;
    /** @type {Map<string, Conversation>} */
    this.conversations = new Map();
    /** @type {Map<string, AttentionItem>} */
    this.attention = new Map();
    /** @type {Set<string>} accepted by us (convKey), history on its way */
    this.accepting = new Set();
    /** @type {Map<string, number>} transfers sent (convKey → connection number), waiting for `transferred` or an error */
    this.transferring = new Map();
    /** @type {Set<string>} conversations the server announced on this connection */
    this.announced = new Set();
    /** waiting for the pong that follows the conversation frames sent on connect */
    this.barrier = false;
    this.connection = 0;
    /** our username, from `hello` */
    this.me = '';
    this.socket = new ReconnectingSocket(url, {
      onOpen: () => this.onOpen(),
      onFrame: (f) => this.onFrame(f),
      onState: (s) => this.events.onConnection(s),
    }, socketOptions);
  }

  start() {
    this.socket.start();
  }

  /** @private */
  onOpen() {
    this.connection += 1;
    this.accepting.clear();
    this.announced.clear();
    // Nothing is sent for the conversations yet: the server announces every
    // conversation we still hold with a `conversation` frame, and each one is
    // caught up (sync, then the unacknowledged messages again) when its frame
    // arrives. The server sends all of them on connect, before it reads
    // anything from us, so the answer to this ping comes after the last one.
    for (const c of this.conversations.values()) c.seqs.reset();
    this.barrier = this.socket.send({ v: 1, t: 'ping' });
  }

  /**
   * Every conversation frame of this connection is in: one we had that the
   * server did not announce was closed or moved while we were away; a
   * transfer sent on the old socket that did not happen can be tried again.
   * @private
   */
  settle() {
    this.barrier = false;
    for (const c of this.conversations.values()) {
      if (c.state === 'closed' || this.announced.has(c.key)) continue;
      c.state = 'closed';
      for (const id of c.pending.keys()) this.events.onFailed(c, id);
      c.pending.clear();
      this.events.onLost(c);
    }
    for (const c of this.conversations.values()) {
      // Notes are not sent again by themselves: what the server did not hand back is said.
      for (const [cid, connection] of c.pendingNotes) {
        if (connection === this.connection) continue;
        c.pendingNotes.delete(cid);
        this.events.onNoteFailed?.(c, cid, 'offline');
      }
    }
    for (const [key, connection] of this.transferring) {
      if (connection === this.connection) continue;
      this.transferring.delete(key);
      if (this.announced.has(key) || this.attention.has(key)) this.events.onTransferDropped(key);
    }
  }

  /** Catch up a conversation after a (re)connect. @private @param {Conversation} c */
  catchUp(c) {
    c.syncedOn = this.connection;
    c.seqs.syncSentAt = Date.now();
    this.socket.send({ v: 1, t: 'sync', conv: c.conv, after: c.seqs.last });
    for (const [id, body] of c.pending) this.socket.send({ v: 1, t: 'msg', conv: c.conv, id, body });
  }

  /** A gap in a conversation's sequence numbers: ask for what is missing. @private @param {Conversation} c */
  syncIfGap(c) {
    if (c.seqs.wantSync()) this.socket.send({ v: 1, t: 'sync', conv: c.conv, after: c.seqs.last });
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
    if (!c || !c.k || c.state === 'closed' || c.observing) return null;
    const id = randomId();
    const body = sealText(c.k, text, id, 'operator');
    if (body.length > MAX_BODY) return null;
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

  /**
   * Give a conversation to another operator with a handover note, encrypted
   * with the conversation key like a message (the server cannot read it).
   * Works for a conversation we hold and, for a supervisor, for one of the
   * "needs attention" list (its key opened from the item's sealed key).
   * The answer is `transferred`, or an `error` with the conversation id.
   * @param {string} key convKey @param {string} to username @param {string} note
   * @returns {TransferProblem | null} null when sent
   */
  transfer(key, to, note) {
    const held = this.conversations.get(key);
    const item = held ? undefined : this.attention.get(key);
    if (!held && !item) return 'unknown';
    const k = held ? held.k : this.openKey(item?.sealed_key, item?.desk_key);
    if (!k) return 'noKey';
    const body = toBase64(encryptMessage(k, { type: 'note', text: note }));
    if (!held) wipe(k);
    if (body.length > MAX_BODY) return 'tooLong';
    const conv = held ? held.conv : /** @type {AttentionItem} */ (item).conv;
    if (!this.socket.send({ v: 1, t: 'transfer', conv, to, note: body })) return 'offline';
    this.transferring.set(key, this.connection);
    return null;
  }

  /**
   * Write a private note (or, observing, a whisper to the operator), for the
   * conversation's staff only. The answer is a `note` frame with our client id
   * (onNote), or an error (onNoteFailed).
   * @param {string} key convKey @param {string} text @param {string} kind note | whisper
   * @returns {{cid: string} | {problem: 'noKey' | 'tooLong' | 'offline' | 'unknown'}}
   */
  note(key, text, kind) {
    const c = this.conversations.get(key);
    if (!c || c.state === 'closed' || !NOTE_KINDS.includes(kind)) return { problem: 'unknown' };
    if (!c.k) return { problem: 'noKey' };
    const cid = randomId();
    const body = sealNote(c.k, text, cid, this.me, kind);
    if (body.length > MAX_BODY) return { problem: 'tooLong' };
    if (!this.socket.send({ v: 1, t: 'note', conv: c.conv, id: cid, kind, body })) return { problem: 'offline' };
    c.pendingNotes.set(cid, this.connection);
    return { cid };
  }

  /**
   * Supervisors: observe a conversation (its operator is told). Answered like
   * an accept: the conversation frame, then its whole history.
   * @param {ConvId} conv
   */
  join(conv) {
    this.accepting.add(String(conv));
    return this.socket.send({ v: 1, t: 'join', conv });
  }

  /** Supervisors: stop observing. @param {string} key convKey */
  leave(key) {
    const c = this.conversations.get(key);
    return !!c && this.socket.send({ v: 1, t: 'leave', conv: c.conv });
  }

  /**
   * Supervisors: take an observed conversation over, with a handover note
   * (a transfer to ourselves; the operator and the person are told).
   * @param {string} key convKey @param {string} note
   * @returns {TransferProblem | null}
   */
  takeOver(key, note) {
    return this.me ? this.transfer(key, this.me, note) : 'offline';
  }

  /**
   * Supervisors: how many conversations routing gives an operator (null: the default).
   * @param {string} username @param {number | null} capacity
   */
  setCapacity(username, capacity) {
    return this.socket.send({ v: 1, t: 'capacity', operator: username, capacity });
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
    this.attention.clear();
    for (const sk of this.deskKeys.values()) wipe(sk);
    this.deskKeys.clear();
  }

  /** @private @param {import('../shared/socket.js').Frame} f */
  onFrame(f) {
    const key = convKey(f.conv);
    const c = key === undefined ? undefined : this.conversations.get(key);
    switch (f.t) {
      case 'hello':
        if (f.operator && typeof f.operator === 'object') {
          const op = /** @type {Record<string, unknown>} */ (f.operator);
          this.me = typeof op.username === 'string' ? op.username : '';
          this.events.onOperator(op);
        }
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
        if (c && typeof f.seq === 'number') {
          c.seqs.see(f.seq);
          if (typeof f.id === 'string' && c.pending.delete(f.id)) this.events.onAck(c, f.id, f.seq);
          this.syncIfGap(c);
        }
        break;
      case 'note':
        if (c) this.onNote(c, f.note, typeof f.id === 'string' ? f.id : '');
        break;
      case 'observer':
        if (c && typeof f.username === 'string' && typeof f.on === 'boolean') {
          c.observers = c.observers.filter((u) => u !== f.username);
          if (f.on) c.observers.push(f.username);
          this.events.onObserver?.(c, f.username, f.on);
        }
        break;
      case 'left':
        if (c && c.observing) this.forget(c);
        break;
      case 'floor':
        this.events.onFloor?.(f);
        break;
      case 'presence':
        if (c && typeof f.person === 'string') {
          c.person = f.person;
          this.events.onPresence(c);
        }
        break;
      case 'duress':
        // Silent by design: a flag for the view, no sound, no focus change.
        if (c && typeof f.on === 'boolean') {
          c.duress = f.on;
          this.events.onDuress?.(c);
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
      case 'transferred':
        if (key !== undefined) this.onTransferred(key, typeof f.to === 'string' ? f.to : '');
        break;
      case 'attention':
        if (Array.isArray(f.items)) this.onAttention(f.items);
        break;
      case 'error':
        this.onError(f);
        break;
      case 'pong':
        if (this.barrier) this.settle();
        break;
      default:
        break; // frames newer than this console
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
      k: null, seqs: new SeqTracker(), pending: new Map(), ownIds: new Set(), shownIds: new Set(), syncedOn: 0, handovers: [],
      observing: false, operator: '', observers: [], notes: [], pendingNotes: new Map(),
    };
    c.who = String(f.who ?? '');
    c.what = String(f.what ?? '');
    c.danger = f.danger === true;
    c.lang = String(f.lang ?? '');
    c.state = String(f.state ?? '');
    c.person = String(f.person ?? '');
    const duress = f.duress === true;
    const duressChanged = duress !== (c.duress === true);
    c.duress = duress;
    if (!c.k) c.k = this.openKey(f.sealed_key, f.desk_key);
    c.handovers = this.readHandovers(c.k, f.handovers);
    c.observing = f.observing === true;
    c.operator = String(f.operator ?? '');
    c.observers = Array.isArray(f.observers) ? f.observers.filter((u) => typeof u === 'string') : [];
    const notes = Array.isArray(f.notes) ? f.notes : [];
    this.conversations.set(key, c);
    this.announced.add(key);
    const accepted = this.accepting.delete(key);
    this.events.onConversation(c, !known, accepted);
    if (duressChanged) this.events.onDuress?.(c);
    for (const raw of notes) this.onNote(c, raw, '');
    if (c.syncedOn === this.connection) return;
    if (accepted) {
      // Accept answers with the whole history; only our own unsent replies
      // (none for a fresh accept) would need sending.
      c.syncedOn = this.connection;
      return;
    }
    // Once per connection and conversation: ask for everything after what
    // this console has, and send again what the server has not acknowledged.
    if (c.state !== 'closed') this.catchUp(c);
  }

  /**
   * Decrypt handover notes; one that does not open is shown as such, never
   * in any other form.
   * @private @param {Uint8Array | null} k @param {unknown} list @returns {Handover[]}
   */
  readHandovers(k, list) {
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
   * A note or whisper, live or with the conversation: kept once (by the
   * server's number and by the writer's client id), then shown.
   * @private @param {Conversation} c @param {unknown} raw @param {string} cid ours, if it answers our note
   */
  onNote(c, raw, cid) {
    const note = readNote(c.k, raw);
    if (!note) return;
    if (cid) c.pendingNotes.delete(cid);
    if (note.cid) c.pendingNotes.delete(note.cid);
    if (c.notes.some((n) => n.id === note.id || (note.cid !== null && n.cid === note.cid && n.author === note.author))) return;
    c.notes.push(note);
    this.events.onNote?.(c, note);
  }

  /** Not ours to read any more: forget it, key included. @private @param {Conversation} c */
  forget(c) {
    for (const id of c.pending.keys()) this.events.onFailed(c, id);
    wipe(c.k);
    this.conversations.delete(c.key);
    this.events.onLeft?.(c.key);
  }

  /** @private @param {string} key @param {string} to */
  onTransferred(key, to) {
    this.transferring.delete(key);
    const c = this.conversations.get(key);
    if (c && this.me && to === this.me) {
      // Our own take-over: the conversation stays, now ours (its frame follows).
      this.events.onTakenOver?.(c);
      return;
    }
    if (c) {
      // Not ours any more: forget it, key included.
      for (const id of c.pending.keys()) this.events.onFailed(c, id);
      wipe(c.k);
      this.conversations.delete(key);
    }
    this.events.onTransferred(key, to, !!c);
  }

  /** @private @param {unknown[]} raw */
  onAttention(raw) {
    this.attention.clear();
    for (const x of raw) {
      if (!x || typeof x !== 'object') continue;
      const i = /** @type {Record<string, unknown>} */ (x);
      const key = convKey(i.conv);
      if (key === undefined) continue;
      this.attention.set(key, {
        conv: /** @type {ConvId} */ (i.conv), key,
        operator: String(i.operator ?? ''), reason: String(i.reason ?? ''),
        since: typeof i.since === 'number' ? i.since : 0,
        who: String(i.who ?? ''), what: String(i.what ?? ''), danger: i.danger === true,
        sealed_key: i.sealed_key, desk_key: i.desk_key,
      });
    }
    this.events.onAttention([...this.attention.values()]);
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
    // Already seen (by msg or ack): a duplicate, dropped.
    if (typeof seq !== 'number' || !c.seqs.see(seq)) return;
    this.syncIfGap(c);
    if (f.from === 'operator' && typeof f.id === 'string' && c.ownIds.has(f.id)) {
      if (c.pending.delete(f.id)) this.events.onAck(c, f.id, seq);
      return;
    }
    // A client id already shown is a replay under a new seq: not shown again.
    if (typeof f.id === 'string') {
      if (c.shownIds.has(f.id)) return;
      c.shownIds.add(f.id);
    }
    // null ("could not decrypt") unless it opens and is bound to this frame.
    const text = openText(c.k, f);
    this.events.onMessage(c, { seq, from: String(f.from), text, ts: typeof f.ts === 'number' ? f.ts : Date.now() });
  }

  /** @private @param {import('../shared/socket.js').Frame} f */
  onError(f) {
    const code = String(f.code ?? '');
    const conv = convKey(f.conv);
    const c = conv === undefined ? undefined : this.conversations.get(conv);
    // A refused accept or join (an error about the conversation, not about a message).
    if (conv !== undefined && typeof f.id !== 'string') this.accepting.delete(conv);
    if (c && typeof f.id === 'string' && c.pending.delete(f.id)) {
      this.events.onFailed(c, f.id);
      this.events.onError(code, String(f.message ?? ''), conv, false);
      return;
    }
    // Not about one of our messages, about a conversation we are transferring:
    // the answer to the transfer (one at a time per conversation).
    if (c && typeof f.id === 'string' && c.pendingNotes.delete(f.id)) {
      this.events.onNoteFailed?.(c, f.id, code);
      return;
    }
    const transfer = conv !== undefined && this.transferring.delete(conv);
    this.events.onError(code, String(f.message ?? ''), conv, transfer);
  }
}
