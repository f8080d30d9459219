// A websocket that comes back: jittered exponential back-off (0.5 s doubling
// to 15 s), a ping every 20 s, JSON frames in and out. The owner re-sends its
// hello/sync from onOpen, because the server keeps no per-socket state.

/**
 * @typedef {{v: 1, t: string, [k: string]: unknown}} Frame
 *
 * @typedef {object} SocketHandlers
 * @property {() => void} onOpen called on every (re)connection
 * @property {(frame: Frame) => void} onFrame a well-formed v1 frame arrived
 * @property {(state: 'connecting' | 'open' | 'retrying' | 'stopped') => void} [onState]
 */

const MIN_DELAY = 500;
const MAX_DELAY = 15000;
const PING_EVERY = 20000;

export class ReconnectingSocket {
  /**
   * @param {string} url
   * @param {SocketHandlers} handlers
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    /** @type {WebSocket | null} */
    this.ws = null;
    this.attempt = 0;
    this.stopped = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retryTimer = undefined;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.pingTimer = undefined;
    this.onOnline = () => {
      // Back online: do not sit out the rest of a long back-off.
      if (!this.stopped && !this.ws) {
        clearTimeout(this.retryTimer);
        this.connect();
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
    this.handlers.onState?.('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    let gotFrame = false;
    ws.onopen = () => {
      this.handlers.onState?.('open');
      this.pingTimer = setInterval(() => this.send({ v: 1, t: 'ping' }), PING_EVERY);
      this.handlers.onOpen();
    };
    ws.onmessage = (event) => {
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
      clearInterval(this.pingTimer);
      this.ws = null;
      if (!this.stopped) this.scheduleRetry();
    };
    // onerror is always followed by onclose; nothing to do here.
    ws.onerror = () => {};
  }

  /** @private */
  scheduleRetry() {
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
    clearInterval(this.pingTimer);
    if (typeof removeEventListener === 'function') removeEventListener('online', this.onOnline);
    const ws = this.ws;
    this.ws = null;
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
