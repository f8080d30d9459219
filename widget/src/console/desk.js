// What the operator does at the desk (docs/protocol.md "Operator socket"),
// with no DOM: take a conversation, write to the person, close, transfer,
// write private notes and, for supervisors, observe, take over and set
// capacities. The socket and the frames that answer are DeskConnection's
// (desk-connection.js). Keys stay in memory.
import { encryptMessage, toBase64, wipe } from '../shared/crypto.js';
import { sealText } from '../shared/message.js';
import { MAX_BODY, OUTCOMES, convKey, openKey, writable } from './conversation-state.js';
import { DeskConnection } from './desk-connection.js';

export { OUTCOMES, convKey };

/**
 * @typedef {import('./conversation-state.js').ConvId} ConvId
 * @typedef {import('./conversation-state.js').Conversation} Conversation
 * @typedef {import('./conversation-state.js').AttentionItem} AttentionItem
 * @typedef {import('./desk-connection.js').DeskEvents} DeskEvents
 * @typedef {import('./delivery.js').Seal} Seal
 *
 * @typedef {'noKey' | 'tooLong' | 'offline' | 'unknown'} TransferProblem
 */

export class Desk extends DeskConnection {
  /**
   * Supervisors: close these waiting conversations as "abuse" in one action.
   * @param {ConvId[]} convs
   */
  closeAsAbuse(convs) {
    return convs.length > 0 && this.socket.send({ v: 1, t: 'close_abuse', convs });
  }

  /** @param {ConvId} conv */
  accept(conv) {
    this.accepting.add(String(conv));
    return this.socket.send({ v: 1, t: 'accept', conv });
  }

  /** Whether a message may be sent to the person now. @param {string} key convKey */
  canSend(key) {
    const c = this.conversations.get(key);
    return !!c && writable(c);
  }

  /**
   * Send encrypted content to the person (a reply, a referral card): pending,
   * and sent again after a reconnect, until the server acknowledges it.
   * @param {string} key convKey @param {Seal} seal
   * @returns {string | null} client id, or null (unknown, no key, closed, observed, too large)
   */
  sendSealed(key, seal) {
    const c = this.conversations.get(key);
    return c ? this.delivery.send(c, seal) : null;
  }

  /**
   * @param {string} key convKey @param {string} text
   * @returns {string | null} client id, or null as for sendSealed
   */
  send(key, text) {
    return this.sendSealed(key, (k, id, from) => sealText(k, text, id, from));
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
    const k = held ? held.k : openKey(this.deskKeys, item?.sealed_key, item?.desk_key);
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
   * @returns {import('./notes.js').NoteSent}
   */
  note(key, text, kind) {
    const c = this.conversations.get(key);
    return c ? this.notes.write(c, text, kind, this.me, this.connection) : { problem: 'unknown' };
  }

  /**
   * Ask the connected supervisors and psychologists for help with a conversation we hold.
   * @param {string} key @returns {boolean} sent
   */
  askHelp(key) {
    const c = this.conversations.get(key);
    return !!c && this.socket.send({ v: 1, t: 'help', conv: c.conv });
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
    if (c) this.drop(c);
  }
}
