// Sequence bookkeeping shared by the chat and the console (docs/protocol.md
// "Delivery guarantees and reconnection", rules 2 and 3): which sequence
// numbers of one conversation this client has seen, through a `msg` or an
// `ack`, and the highest one seen without a gap, which is what a resume or a
// sync asks "after".

/** A gap still open this long after its sync gets another sync. */
export const SYNC_RETRY = 10000;

export class SeqTracker {
  /** @param {number} [after] everything up to this is already here */
  constructor(after = 0) {
    /** highest sequence seen with nothing missing before it */
    this.last = after;
    /** @type {Set<number>} seen above `last` (so, after a gap) */
    this.ahead = new Set();
    /** @type {number | null} Date.now() of the sync still waiting for its answer */
    this.syncSentAt = null;
  }

  /**
   * Record a sequence number.
   * @param {number} seq
   * @returns {boolean} false if it was already seen (a duplicate to drop)
   */
  see(seq) {
    if (!Number.isSafeInteger(seq) || seq <= this.last || this.ahead.has(seq)) return false;
    this.ahead.add(seq);
    while (this.ahead.delete(this.last + 1)) this.last += 1;
    if (this.ahead.size === 0) this.syncSentAt = null;
    return true;
  }

  /** @param {number} seq */
  has(seq) {
    return seq <= this.last || this.ahead.has(seq);
  }

  /** Something after a missing sequence number has been seen. */
  get gap() {
    return this.ahead.size > 0;
  }

  /**
   * Should a sync for the gap go out now? At most one at a time; a sync whose
   * gap is still open after SYNC_RETRY may be repeated.
   * @param {number} [now]
   * @returns {boolean} true when the caller must send `sync` with `after: this.last`
   */
  wantSync(now = Date.now()) {
    if (!this.gap) return false;
    if (this.syncSentAt !== null && now - this.syncSentAt < SYNC_RETRY) return false;
    this.syncSentAt = now;
    return true;
  }

  /** A new connection: whatever sync was in flight is gone with the old one. */
  reset() {
    this.syncSentAt = null;
  }
}
