// The operator socket (docs/protocol.md "Operator socket") and what comes in
// on it, with no DOM: (re)connections and what a new connection settles,
// each frame taken into the conversations (conversation-state.js), the
// messages (delivery.js) and the notes (notes.js), and the desk's events.
// What the operator does is Desk's (desk.js). Keys stay in memory.
import { wipe } from '../shared/crypto.js';
import { ReconnectingSocket } from '../shared/socket.js';
import { convKey, newConversation, readAttention, readConversation } from './conversation-state.js';
import { Delivery } from './delivery.js';
import { DeskNotes } from './notes.js';

/**
 * @typedef {import('./conversation-state.js').ConvId} ConvId
 * @typedef {import('./conversation-state.js').Conversation} Conversation
 * @typedef {import('./conversation-state.js').AttentionItem} AttentionItem
 * @typedef {import('../shared/socket.js').Frame} Frame
 */

/**
 * @typedef {object} DeskEvents
 * @property {(operator: Record<string, unknown>) => void} onOperator
 * @property {(items: Array<Record<string, unknown>>) => void} onQueue
 * @property {(added: Array<Record<string, unknown>>, removed: Array<string | number>) => void} [onQueueChange] what entered and left the queue
 * @property {(closed: number, skipped: number) => void} [onClosedAbuse] the answer to closeAsAbuse
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
 * @property {(alarm: Record<string, any>) => void} [onAlarm] supervisors: an alarm raised or cleared (alarms.js)
 * @property {(f: Frame, key: string) => void} [onHelp] help_call (floor consoles),
 *   help_asked (our call went out), help_answered (someone joined)
 */

export class DeskConnection {
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
    /** @type {Set<string>} accepted or joined by us (convKey), history on its way */
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
    this.delivery = new Delivery(this.socket, events);
    this.notes = new DeskNotes(this.socket, events);
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
      this.delivery.fail(c);
      this.events.onLost(c);
    }
    for (const c of this.conversations.values()) this.notes.settle(c, this.connection);
    for (const [key, connection] of this.transferring) {
      if (connection === this.connection) continue;
      this.transferring.delete(key);
      if (this.announced.has(key) || this.attention.has(key)) this.events.onTransferDropped(key);
    }
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

  /** @private @param {Frame} f */
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
      case 'queue_change':
        if (Array.isArray(f.added) && Array.isArray(f.removed)) {
          this.events.onQueueChange?.(f.added.filter((i) => i && convKey(i.conv) !== undefined),
            f.removed.filter((c) => convKey(c) !== undefined));
        }
        break;
      case 'conversation':
        this.onConversation(f);
        break;
      case 'msg':
        if (c) this.delivery.msg(c, f);
        break;
      case 'ack':
        if (c) this.delivery.ack(c, f);
        break;
      case 'note':
        if (c) this.notes.take(c, f.note, typeof f.id === 'string' ? f.id : '');
        break;
      case 'observer':
        if (c && typeof f.username === 'string' && typeof f.on === 'boolean') {
          c.observers = c.observers.filter((u) => u !== f.username);
          if (f.on) c.observers.push(f.username);
          this.events.onObserver?.(c, f.username, f.on);
        }
        break;
      case 'left':
        if (c && c.observing) {
          this.delivery.fail(c);
          this.drop(c);
          this.events.onLeft?.(c.key);
        }
        break;
      case 'floor':
        this.events.onFloor?.(f);
        break;
      case 'alarm':
        this.events.onAlarm?.(f);
        break;
      case 'help_call':
      case 'help_asked':
      case 'help_answered':
        // Help on call (help.js): metadata and who came, never a message.
        if (key !== undefined) this.events.onHelp?.(f, key);
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
          this.delivery.fail(c);
          this.events.onClosed(c);
        }
        break;
      case 'transferred':
        if (key !== undefined) this.onTransferred(key, typeof f.to === 'string' ? f.to : '');
        break;
      case 'attention':
        if (Array.isArray(f.items)) {
          this.attention = readAttention(f.items);
          this.events.onAttention([...this.attention.values()]);
        }
        break;
      case 'closed_abuse':
        if (Array.isArray(f.closed)) this.events.onClosedAbuse?.(f.closed.length, Number(f.skipped) || 0);
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

  /** @private @param {Frame} f */
  onConversation(f) {
    const key = convKey(f.conv);
    if (key === undefined) return;
    const known = this.conversations.get(key);
    const c = known ?? newConversation(/** @type {ConvId} */ (f.conv), key);
    const duressChanged = readConversation(c, f, this.deskKeys);
    this.conversations.set(key, c);
    this.announced.add(key);
    const accepted = this.accepting.delete(key);
    this.events.onConversation(c, !known, accepted);
    if (duressChanged) this.events.onDuress?.(c);
    for (const raw of Array.isArray(f.notes) ? f.notes : []) this.notes.take(c, raw, '');
    if (c.syncedOn === this.connection) return;
    if (accepted) {
      // An accept or a join answers with the whole history; only our own unsent replies
      // (none for a fresh accept) would need sending.
      c.syncedOn = this.connection;
      return;
    }
    if (c.state !== 'closed') this.delivery.catchUp(c, this.connection);
  }

  /** Forget a conversation, key included. @protected @param {Conversation} c */
  drop(c) {
    wipe(c.k);
    this.conversations.delete(c.key);
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
      // Not ours any more.
      this.delivery.fail(c);
      this.drop(c);
    }
    this.events.onTransferred(key, to, !!c);
  }

  /** @private @param {Frame} f */
  onError(f) {
    const code = String(f.code ?? '');
    const conv = convKey(f.conv);
    const c = conv === undefined ? undefined : this.conversations.get(conv);
    // A refused accept or join (an error about the conversation, not about a message).
    if (conv !== undefined && typeof f.id !== 'string') this.accepting.delete(conv);
    if (c && typeof f.id === 'string') {
      if (this.delivery.refused(c, f.id)) {
        this.events.onError(code, String(f.message ?? ''), conv, false);
        return;
      }
      if (this.notes.refused(c, f.id, code)) return;
    }
    // Not about one of our messages or notes, about a conversation we are
    // transferring: the answer to the transfer (one at a time per conversation).
    const transfer = conv !== undefined && this.transferring.delete(conv);
    this.events.onError(code, String(f.message ?? ''), conv, transfer);
  }
}
