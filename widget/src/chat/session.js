// The person's side of the protocol (docs/protocol.md "Person socket"), with
// no DOM: the conversation key, the resume token, the sequence numbers seen
// and the messages not yet acknowledged. Everything lives in memory only.
import {
  newConversationKey,
  sealConversationKey,
  toBase64,
  fromBase64,
  randomId,
  wipe,
} from '../shared/crypto.js';
import { ReconnectingSocket } from '../shared/socket.js';
import { SeqTracker } from '../shared/seq.js';
import { sealText, openText } from '../shared/message.js';

/** Largest body the server accepts (64 KiB of base64). */
const MAX_BODY = 64 * 1024;

/**
 * @typedef {object} StartInfo
 * @property {string} who
 * @property {string} what
 * @property {boolean} danger
 * @property {string} lang
 *
 * @typedef {object} SessionEvents
 * @property {(exitToken: string) => void} onWelcome
 * @property {(state: string, position?: number, operator?: 'present' | 'away') => void} onStatus
 *   operator: while active, whether the operator who holds the conversation is connected
 * @property {() => void} onReconnecting
 * @property {() => void} onHandover another operator, who has read the conversation, took over
 * @property {(m: {seq: number, from: string, text: string | null, ts: number}) => void} onMessage
 *   text is null when the body could not be decrypted
 * @property {(id: string, seq: number) => void} onAck
 * @property {(id: string) => void} onFailed a message the server refused for good
 * @property {(code: string, message: string) => void} onNotice
 * @property {() => void} onTicketExpired the caller must obtain a new ticket and call retry()
 * @property {() => void} onLost the resume token is no longer valid
 */

export class ChatSession {
  /**
   * @param {{ws: string, ticket: string, deskKey: {id: string, public: string}, deadAfter?: number}} init
   *   deadAfter: milliseconds of silence before the socket counts as dead (only shortens the default)
   * @param {StartInfo} start
   * @param {SessionEvents} events
   */
  constructor(init, start, events) {
    this.ticket = init.ticket;
    this.events = events;
    /** @type {Uint8Array | null} */
    this.key = newConversationKey();
    this.start = {
      ...start,
      sealed_key: toBase64(sealConversationKey(this.key, fromBase64(init.deskKey.public))),
      desk_key: init.deskKey.id,
    };
    /** @type {string | null} resume token from welcome */
    this.token = null;
    /** sequence numbers seen, by msg or ack; `seqs.last` is what a resume asks after */
    this.seqs = new SeqTracker();
    /** @type {Map<string, string>} client id → body, in send order, until acked */
    this.pending = new Map();
    /** @type {Set<string>} every client id we sent, to recognise our own messages replayed */
    this.ownIds = new Set();
    /** @type {Set<string>} client ids of the messages shown */
    this.shownIds = new Set();
    this.closed = false;
    this.socket = new ReconnectingSocket(init.ws, {
      onOpen: () => this.hello(),
      onFrame: (f) => this.onFrame(f),
      onState: (s) => {
        if (s === 'retrying') this.events.onReconnecting();
      },
    }, { deadAfter: init.deadAfter });
  }

  /** The highest sequence seen without a gap. */
  get lastSeq() {
    return this.seqs.last;
  }

  connect() {
    this.socket.start();
  }

  /** @private */
  hello() {
    this.seqs.reset();
    // After a welcome we always resume, so a reconnect never opens a second
    // conversation. Before it (the socket fell between hello and welcome) the
    // same sealed key and ticket are sent again.
    if (this.token) {
      this.socket.send({ v: 1, t: 'hello', resume: { token: this.token, after: this.lastSeq } });
    } else {
      this.socket.send({ v: 1, t: 'hello', ticket: this.ticket, start: this.start });
    }
  }

  /**
   * A fresh ticket after bad_ticket.
   * @param {string} ticket
   */
  retry(ticket) {
    if (this.token || this.closed) return;
    this.ticket = ticket;
    this.socket.start();
  }

  /**
   * Encrypt and send a text. Kept as pending until its ack; re-sent with the
   * same client id after a reconnect, so the server can drop the duplicate.
   * @param {string} text
   * @returns {string | null} the client id, or null if the message is too large
   */
  send(text) {
    if (!this.key || this.closed) return null;
    const id = randomId();
    const body = sealText(this.key, text, id, 'person');
    if (body.length > MAX_BODY) return null;
    this.pending.set(id, body);
    this.ownIds.add(id);
    if (this.token) this.socket.send({ v: 1, t: 'msg', id, body });
    return id;
  }

  /**
   * @private
   * @param {import('../shared/socket.js').Frame} f
   */
  onFrame(f) {
    switch (f.t) {
      case 'welcome':
        if (typeof f.token !== 'string') return;
        this.token = f.token;
        if (typeof f.exit === 'string') this.events.onWelcome(f.exit);
        if (typeof f.state === 'string') this.onState(f.state);
        for (const [id, body] of this.pending) this.socket.send({ v: 1, t: 'msg', id, body });
        break;
      case 'ack':
        if (typeof f.seq === 'number') {
          this.seqs.see(f.seq);
          if (typeof f.id === 'string') this.acked(f.id, f.seq);
          this.syncIfGap();
        }
        break;
      case 'msg':
        this.onMsg(f);
        break;
      case 'status':
        if (typeof f.state === 'string') {
          this.onState(f.state, typeof f.position === 'number' ? f.position : undefined,
            f.operator === 'away' || f.operator === 'present' ? f.operator : undefined);
        }
        break;
      case 'handover':
        this.events.onHandover();
        break;
      case 'error':
        this.onError(String(f.code ?? ''), String(f.message ?? ''), typeof f.id === 'string' ? f.id : null);
        break;
      default:
        // pong and anything newer: nothing to do.
        break;
    }
  }

  /**
   * @private @param {string} state @param {number} [position]
   * @param {'present' | 'away'} [operator]
   */
  onState(state, position, operator) {
    this.events.onStatus(state, position, operator);
    if (state === 'closed') {
      this.closed = true;
      this.socket.stop();
    }
  }

  /** @private @param {string} id @param {number} seq */
  acked(id, seq) {
    if (this.pending.delete(id)) this.events.onAck(id, seq);
  }

  /** @private @param {import('../shared/socket.js').Frame} f */
  onMsg(f) {
    const seq = f.seq;
    // A sequence number already seen (by msg or ack) is a duplicate: drop it.
    if (typeof seq !== 'number' || !this.seqs.see(seq)) return;
    this.syncIfGap();
    if (f.from === 'person' && typeof f.id === 'string' && this.ownIds.has(f.id)) {
      // Our own message replayed after a resume: it is stored, count it as acked.
      this.acked(f.id, seq);
      return;
    }
    // A client id already shown is a replay under a new seq: not shown again.
    if (typeof f.id === 'string') {
      if (this.shownIds.has(f.id)) return;
      this.shownIds.add(f.id);
    }
    // null ("could not decrypt") unless it opens and is bound to this frame.
    const text = openText(this.key, f);
    this.events.onMessage({ seq, from: String(f.from), text, ts: typeof f.ts === 'number' ? f.ts : Date.now() });
  }

  /**
   * Something after a missing sequence number arrived: ask for what is
   * missing (one sync at a time; what comes back twice is dropped by seq).
   * @private
   */
  syncIfGap() {
    if (this.token && this.seqs.wantSync()) this.socket.send({ v: 1, t: 'sync', after: this.seqs.last });
  }

  /** @private @param {string} code @param {string} message @param {string | null} id */
  onError(code, message, id) {
    if (code === 'bad_ticket' && !this.token) {
      this.socket.stop();
      this.events.onTicketExpired();
    } else if (code === 'bad_token') {
      this.socket.stop();
      this.events.onLost();
    } else if (id && this.pending.delete(id)) {
      this.events.onFailed(id);
      this.events.onNotice(code, message);
    } else {
      this.events.onNotice(code, message);
    }
  }

  /** Quick exit: tell the server if we still can, then forget everything. */
  exit() {
    try {
      this.socket.send({ v: 1, t: 'exit' });
    } catch {
      // the loader's beacon covers a dead socket
    }
    this.socket.stop();
    this.forget();
  }

  /** Drop key, token and texts from memory. */
  forget() {
    wipe(this.key);
    this.key = null;
    this.token = null;
    this.ticket = '';
    this.pending.clear();
  }
}
