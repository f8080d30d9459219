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
  wrapConversationKey,
  unwrapConversationKey,
} from '../shared/crypto.js';
import { ReconnectingSocket } from '../shared/socket.js';
import { SeqTracker } from '../shared/seq.js';
import { sealText, openMessage } from '../shared/message.js';

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
 * @property {(state: string, position?: number, operator?: 'present' | 'away', waitEstimate?: number) => void} onStatus
 *   waitEstimate: seconds, while waiting, once the server can estimate it
 *   operator: while active, whether the operator who holds the conversation is connected
 * @property {() => void} onReconnecting
 * @property {() => void} onHandover another operator, who has read the conversation, took over
 * @property {(m: {seq: number, from: string, text: string | null, ts: number, card?: import('../shared/card.js').Card | null}) => void} onMessage
 *   text null: could not decrypt; card: a referral card from the operator
 *   text is null when the body could not be decrypted
 * @property {(id: string, seq: number) => void} onAck
 * @property {(id: string) => void} onFailed a message the server refused for good
 * @property {(code: string, message: string, retryAfter?: number) => void} onNotice retryAfter:
 *   seconds, with rate_limited
 * @property {() => void} onTicketExpired the caller must obtain a new ticket and call retry()
 * @property {() => void} onLost the resume token is no longer valid
 * @property {(code: string, message: string) => void} [onCodeRefused] a hello by resume
 *   code was refused before any welcome: `bad_code`, `rate_limited`, or `bad_key` (the
 *   wrapped key did not open; the socket is closed)
 */

export class ChatSession {
  /**
   * @param {{ws: string, ticket: string, deskKey: {id: string, public: string}, deadAfter?: number, pow?: Promise<import('./proof-of-work.js').Solution | null>}} init
   *   pow: the ticket's proof of work, being solved; hello waits for it
   *   deadAfter: milliseconds of silence before the socket counts as dead (only shortens the default)
   * @param {StartInfo | null} start null: no new conversation, come back with a
   *   resume code (useCode); the key then comes from welcome's wrapped_key
   * @param {SessionEvents} events
   */
  constructor(init, start, events) {
    this.ticket = init.ticket;
    /** @type {Promise<import('./proof-of-work.js').Solution | null> | null} */
    this.pow = init.pow ?? null;
    this.events = events;
    /** @type {Uint8Array | null} */
    this.key = start ? newConversationKey() : null;
    this.start = start && this.key ? {
      ...start,
      sealed_key: toBase64(sealConversationKey(this.key, fromBase64(init.deskKey.public))),
      desk_key: init.deskKey.id,
    } : null;
    /** @type {{lookup: string, wrap: Uint8Array} | null} the resume code being tried, until welcome */
    this.code = null;
    /** @type {{resolve: () => void, reject: (e: Error) => void} | null} a resume_code frame awaiting its answer */
    this.codeSave = null;
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
    /** "someone is here" (duress): asked by the person / last said to the server */
    this.duressOn = false;
    this.duressTold = false;
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
    } else if (this.code) {
      this.socket.send({ v: 1, t: 'hello', code: { lookup: this.code.lookup, after: 0 } });
    } else if (this.start) {
      const { ticket, start } = this;
      if (!this.pow) {
        this.socket.send({ v: 1, t: 'hello', ticket, start });
        return;
      }
      // The proof of work was started when the ticket came; usually long done.
      this.pow.then((pow) => {
        if (!this.token && this.ticket === ticket) this.socket.send({ v: 1, t: 'hello', ticket, start, pow });
      });
    }
  }

  /**
   * A fresh ticket after bad_ticket, and its proof of work.
   * @param {string} ticket
   * @param {Promise<import('./proof-of-work.js').Solution | null>} [pow]
   */
  retry(ticket, pow) {
    if (this.token || this.closed) return;
    this.ticket = ticket;
    this.pow = pow ?? null;
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
        if (this.code && !this.openWithCode(f)) return;
        this.token = f.token;
        if (typeof f.exit === 'string') this.events.onWelcome(f.exit);
        if (typeof f.state === 'string') this.onState(f.state);
        for (const [id, body] of this.pending) this.socket.send({ v: 1, t: 'msg', id, body });
        this.tellDuress();
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
            f.operator === 'away' || f.operator === 'present' ? f.operator : undefined,
            typeof f.wait_estimate === 'number' && f.wait_estimate > 0 ? f.wait_estimate : undefined);
          // An operator who accepts or comes back learns of a duress still on.
          if (f.state === 'active') this.tellDuress();
        }
        break;
      case 'handover':
        this.events.onHandover();
        this.tellDuress();
        break;
      case 'resume_code':
        if (f.saved === true) this.settleCodeSave(null);
        break;
      case 'error':
        this.onError(String(f.code ?? ''), String(f.message ?? ''), typeof f.id === 'string' ? f.id : null,
          typeof f.retry_after === 'number' ? f.retry_after : undefined);
        break;
      default:
        // pong and anything newer: nothing to do.
        break;
    }
  }

  /**
   * @private @param {string} state @param {number} [position]
   * @param {'present' | 'away'} [operator] @param {number} [waitEstimate] seconds
   */
  onState(state, position, operator, waitEstimate) {
    this.events.onStatus(state, position, operator, waitEstimate);
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
    const opened = openMessage(this.key, f);
    this.events.onMessage({
      seq, from: String(f.from), text: opened ? opened.text : null, card: opened?.card ?? null, ts: typeof f.ts === 'number' ? f.ts : Date.now(),
    });
  }

  /**
   * Something after a missing sequence number arrived: ask for what is
   * missing (one sync at a time; what comes back twice is dropped by seq).
   * @private
   */
  syncIfGap() {
    if (this.token && this.seqs.wantSync()) this.socket.send({ v: 1, t: 'sync', after: this.seqs.last });
  }

  /** @private */
  resendPending() {
    if (!this.closed && this.token && this.socket.isOpen) {
      for (const [id, body] of this.pending) this.socket.send({ v: 1, t: 'msg', id, body });
    }
  }

  /**
   * @private @param {string} code @param {string} message @param {string | null} id
   * @param {number} [retryAfter] seconds, with rate_limited
   */
  onError(code, message, id, retryAfter = 5) {
    if ((code === 'bad_code' || code === 'rate_limited') && !this.token && this.code) {
      // Forgotten at once: a reconnect must not try the same wrong code again.
      wipe(this.code.wrap);
      this.code = null;
      this.events.onCodeRefused?.(code, message);
    } else if (this.codeSave && !id && code !== 'bad_token') {
      // The server refused the resume_code frame (closed, malformed).
      this.settleCodeSave(new Error(message || code));
    } else if (code === 'bad_ticket' && !this.token) {
      this.socket.stop();
      this.events.onTicketExpired();
    } else if (code === 'bad_token') {
      this.socket.stop();
      this.events.onLost();
    } else if (code === 'rate_limited' && id && this.pending.has(id)) {
      // Too fast for the conversation's limit: kept, sent again when allowed.
      this.events.onNotice(code, message, retryAfter);
      setTimeout(() => this.resendPending(), Math.min(120, Math.max(1, retryAfter)) * 1000);
    } else if (id && this.pending.delete(id)) {
      this.events.onFailed(id);
      this.events.onNotice(code, message);
    } else {
      this.events.onNotice(code, message, retryAfter);
    }
  }

  /**
   * "Someone is here" (docs/protocol.md `duress`): the operator is told
   * silently. Said again after every welcome, when the conversation becomes or
   * stays active and after a handover while it lasts, so a press while the
   * socket was down, or before an operator took the conversation, still reaches
   * whoever holds it. The server keeps no duress state.
   * @param {boolean} on
   */
  duress(on) {
    this.duressOn = on;
    this.tellDuress();
  }

  /** @private */
  tellDuress() {
    if (!this.token || this.closed || !(this.duressOn || this.duressTold)) return;
    if (this.socket.send({ v: 1, t: 'duress', on: this.duressOn })) this.duressTold = this.duressOn;
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
    if (this.code) wipe(this.code.wrap);
    this.code = null;
    this.settleCodeSave(new Error('closed'));
  }

  // -------------------------------------------------------------- resume codes
  // (docs/protocol.md "Person socket": hello by code, resume_code; the UI is chat/resume.js)

  /**
   * Come back with a resume code's keys: `hello` by code on the open socket, or
   * on the first connection. Another try replaces the previous one (same socket,
   * so the server's per-socket limit holds).
   * @param {{lookup: Uint8Array, wrap: Uint8Array}} keys from deriveResumeKeys; the session owns them now
   */
  useCode(keys) {
    if (this.token || this.closed || this.start) return;
    if (this.code) wipe(this.code.wrap);
    this.code = { lookup: toBase64(keys.lookup), wrap: keys.wrap };
    wipe(keys.lookup);
    if (this.socket.isOpen) this.hello();
    else if (this.socket.stopped || !this.socket.ws) this.socket.start();
  }

  /**
   * welcome after a hello by code: open K from wrapped_key with the code wrap key.
   * @private
   * @param {import('../shared/socket.js').Frame} f
   * @returns {boolean} false when K does not open: nothing is shown, the socket is closed
   */
  openWithCode(f) {
    const code = /** @type {{lookup: string, wrap: Uint8Array}} */ (this.code);
    this.code = null;
    try {
      this.key = unwrapConversationKey(fromBase64(String(f.wrapped_key)), code.wrap);
      return true;
    } catch {
      this.socket.stop();
      this.events.onCodeRefused?.('bad_key', '');
      return false;
    } finally {
      wipe(code.wrap);
    }
  }

  /**
   * Register a resume code for this conversation: K wrapped under the code wrap
   * key, and the lookup id (docs/protocol.md "resume_code"). A new code replaces
   * the previous one on the server.
   * @param {{lookup: Uint8Array, wrap: Uint8Array}} keys from deriveResumeKeys
   * @param {number} [timeout] milliseconds to wait for the server's answer
   * @returns {Promise<void>} resolves once the server saved it; rejects with
   *   Error('offline') when not connected, or the server's reason, or 'timeout'
   */
  saveResumeCode(keys, timeout = 15000) {
    if (!this.key || !this.token || this.closed || !this.socket.isOpen) {
      return Promise.reject(new Error('offline'));
    }
    const frame = {
      v: 1, t: 'resume_code', lookup: toBase64(keys.lookup), wrapped_key: toBase64(wrapConversationKey(this.key, keys.wrap)),
    };
    this.settleCodeSave(new Error('replaced'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settleCodeSave(new Error('timeout')), timeout);
      this.codeSave = {
        resolve: () => { clearTimeout(timer); resolve(); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      if (!this.socket.send(frame)) this.settleCodeSave(new Error('offline'));
    });
  }

  /** Give up a session that has no conversation yet (Back from the code field). */
  abandon() {
    this.socket.stop();
    this.forget();
    this.closed = true;
  }

  /** @private @param {Error | null} error null: saved */
  settleCodeSave(error) {
    const pending = this.codeSave;
    this.codeSave = null;
    if (!pending) return;
    if (error) pending.reject(error);
    else pending.resolve();
  }
}
