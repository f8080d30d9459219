// Messages between the operator and the person (docs/protocol.md "Delivery
// guarantees and reconnection"), for every kind of content the desk sends:
// sealed with a fresh client id, kept pending until the server acknowledges
// it and sent again when its conversation is caught up after a reconnect.
// Each sequence number is taken once, by `msg` or `ack`; a gap asks for one
// `sync`. No DOM.
import { randomId } from '../shared/crypto.js';
import { openText } from '../shared/message.js';
import { MAX_BODY, writable } from './conversation-state.js';

/**
 * @typedef {import('./conversation-state.js').Conversation} Conversation
 * @typedef {import('../shared/socket.js').Frame} Frame
 * @typedef {(k: Uint8Array, id: string, from: 'operator') => string} Seal encrypts
 *   content bound to the client id of its `msg` frame and to its sender: the base64 body
 * @typedef {Pick<import('./desk-connection.js').DeskEvents, 'onMessage' | 'onAck' | 'onFailed'>} DeliveryEvents
 */

export class Delivery {
  /**
   * @param {import('../shared/socket.js').ReconnectingSocket} socket
   * @param {DeliveryEvents} events
   */
  constructor(socket, events) {
    this.socket = socket;
    this.events = events;
  }

  /**
   * Seal and send a message to the person; offline, it waits for the
   * catch-up of the next connection.
   * @param {Conversation} c @param {Seal} seal
   * @returns {string | null} client id, or null (not writable, too large)
   */
  send(c, seal) {
    if (!writable(c)) return null;
    const id = randomId();
    const body = seal(/** @type {Uint8Array} */ (c.k), id, 'operator');
    if (body.length > MAX_BODY) return null;
    c.pending.set(id, body);
    c.ownIds.add(id);
    this.socket.send({ v: 1, t: 'msg', conv: c.conv, id, body });
    return id;
  }

  /**
   * Once per connection and conversation: ask for everything after what this
   * console has, and send again what the server has not acknowledged.
   * @param {Conversation} c @param {number} connection
   */
  catchUp(c, connection) {
    c.syncedOn = connection;
    c.seqs.syncSentAt = Date.now();
    this.socket.send({ v: 1, t: 'sync', conv: c.conv, after: c.seqs.last });
    for (const [id, body] of c.pending) this.socket.send({ v: 1, t: 'msg', conv: c.conv, id, body });
  }

  /** A gap in a conversation's sequence numbers: ask for what is missing. @private @param {Conversation} c */
  syncIfGap(c) {
    if (c.seqs.wantSync()) this.socket.send({ v: 1, t: 'sync', conv: c.conv, after: c.seqs.last });
  }

  /** @param {Conversation} c @param {Frame} f */
  msg(c, f) {
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

  /** @param {Conversation} c @param {Frame} f */
  ack(c, f) {
    if (typeof f.seq !== 'number') return;
    c.seqs.see(f.seq);
    if (typeof f.id === 'string' && c.pending.delete(f.id)) this.events.onAck(c, f.id, f.seq);
    this.syncIfGap(c);
  }

  /**
   * An error with a client id: ours if it is a message still pending.
   * @param {Conversation} c @param {string} id @returns {boolean} whether it was one
   */
  refused(c, id) {
    if (!c.pending.delete(id)) return false;
    this.events.onFailed(c, id);
    return true;
  }

  /** Nothing pending will be delivered any more (closed, lost, gone). @param {Conversation} c */
  fail(c) {
    for (const id of c.pending.keys()) this.events.onFailed(c, id);
    c.pending.clear();
  }
}
