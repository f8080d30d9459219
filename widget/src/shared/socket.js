// A websocket that comes back: jittered exponential back-off (0.5 s doubling
// to 15 s), a ping every 20 s, and a dead-socket watchdog: a socket on which
// nothing at all (not even a pong) arrived for 45 s is closed and replaced.
// JSON frames in and out. The owner re-sends its hello/sync from onOpen,
// because the server keeps no per-socket state.
// docs/protocol.md "Delivery guarantees and reconnection", rules 4 and 5.

/**
 * @typedef {{v: 1, t: string, [k: string]: unknown}} Frame
 *
 * @typedef {object} SocketHandlers
 * @property {() => void} onOpen called on every (re)connection
 * @property {(frame: Frame) => void} onFrame a well-formed v1 frame arrived
 * @property {(state: 'connecting' | 'open' | 'retrying' | 'stopped') => void} [onState]
 *
 * @typedef {object} SocketOptions
 * @property {number} [deadAfter] milliseconds of silence after which the socket
 *   counts as dead; only ever shortened (clamped to MIN_DEAD_AFTER..DEAD_AFTER)
 */

const MIN_DELAY = 500;
const MAX_DELAY = 15000;
export const PING_EVERY = 20000;
export const DEAD_AFTER = 45000;
/** The shortest dead-socket timeout an option may ask for. */
export const MIN_DEAD_AFTER = 5000;
/** After the browser says it is back online, an open socket must answer a ping within this. */
const PROBE_AFTER = 5000;

/**
 * The dead-socket timeout to use: the default unless a shorter, sane value is asked for.
 * @param {unknown} ms
 * @returns {number}
 */
export function deadAfter(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return DEAD_AFTER;
  return Math.min(DEAD_AFTER, Math.max(MIN_DEAD_AFTER, ms));
}

export class ReconnectingSocket {
  /**
   * @param {string} url
   * @param {SocketHandlers} handlers
   * @param {SocketOptions} [options]
   */
  constructor(url, handlers, options = {}) {
    this.url = url;
    this.handlers = handlers;
    this.deadAfter = deadAfter(options.deadAfter);
    // Pings keep the ratio of the defaults (20 s in 45 s), so a live but quiet
    // socket always hears a pong well before the watchdog fires.
    this.pingEvery = Math.min(PING_EVERY, Math.floor(this.deadAfter * PING_EVERY / DEAD_AFTER));
    /** @type {WebSocket | null} */
    this.ws = null;
    this.attempt = 0;
    this.stopped = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retryTimer = undefined;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.pingTimer = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.deadTimer = undefined;
    this.onOnline = () => {
      if (this.stopped) return;
      if (!this.ws) {
        // Back online: do not sit out the rest of a long back-off.
        clearTimeout(this.retryTimer);
        this.connect();
      } else if (this.ws.readyState === WebSocket.OPEN) {
        // The socket may have died while we were offline without telling us
        // (a new network, a sleeping laptop): it must answer a ping soon.
        this.send({ v: 1, t: 'ping' });
        this.watch(this.ws, Math.min(this.deadAfter, PROBE_AFTER));
      }
    };
  }

  start() {
    this.stopped = false;
    if (typeof addEventListener === 'function') addEventListener('online', this.onOnline);
    this.connect();
  }

  /** @private */
  connect() {
    clearTimeout(this.retryTimer);
    this.handlers.onState?.('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    // A handshake that hangs counts as dead too.
    this.watch(ws, this.deadAfter);
    let gotFrame = false;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.handlers.onState?.('open');
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.send({ v: 1, t: 'ping' }), this.pingEvery);
      this.handlers.onOpen();
    };
    ws.onmessage = (event) => {
      if (this.ws !== ws) return;
      this.watch(ws, this.deadAfter);
      if (!gotFrame) {
        // Reset the back-off only once the server really talked to us, so a
        // server that accepts and drops at once does not get hammered.
        gotFrame = true;
        this.attempt = 0;
      }
      if (typeof event.data !== 'string') return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame && typeof frame === 'object' && frame.v === 1 && typeof frame.t === 'string') {
        this.handlers.onFrame(frame);
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.drop();
      if (!this.stopped) this.scheduleRetry();
    };
    // onerror is always followed by onclose; nothing to do here.
    ws.onerror = () => {};
  }

  /**
   * (Re)arm the watchdog of the current socket.
   * @private @param {WebSocket} ws @param {number} ms
   */
  watch(ws, ms) {
    clearTimeout(this.deadTimer);
    this.deadTimer = setTimeout(() => {
      if (this.ws !== ws || this.stopped) return;
      // Silent for too long: do not wait for a close that may never come (the
      // closing handshake cannot complete on a dead link). Forget it, close it
      // quietly, and reconnect with the usual back-off.
      this.drop();
      ws.onopen = ws.onmessage = ws.onclose = null;
      try {
        ws.close(4000, 'no answer');
      } catch {
        // already closing
      }
      this.scheduleRetry();
    }, ms);
  }

  /** Forget the current socket and its timers. @private */
  drop() {
    clearInterval(this.pingTimer);
    clearTimeout(this.deadTimer);
    this.ws = null;
  }

  /** @private */
  scheduleRetry() {
    clearTimeout(this.retryTimer);
    const ceiling = Math.min(MAX_DELAY, MIN_DELAY * 2 ** this.attempt);
    this.attempt += 1;
    // "Equal jitter": half fixed, half random, so clients that dropped together
    // (a server restart) do not come back together.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.handlers.onState?.('retrying');
    this.retryTimer = setTimeout(() => {
      if (!this.stopped) this.connect();
    }, delay);
  }

  /**
   * Send a frame if the socket is open.
   * @param {object} frame
   * @returns {boolean} false when not sent (the caller keeps it for resend)
   */
  send(frame) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    try {
      ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  get isOpen() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  /** Close for good: no more reconnection. */
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (typeof removeEventListener === 'function') removeEventListener('online', this.onOnline);
    const ws = this.ws;
    this.drop();
    if (ws) {
      try {
        ws.close(1000);
      } catch {
        // already closing
      }
    }
    this.handlers.onState?.('stopped');
  }
}
