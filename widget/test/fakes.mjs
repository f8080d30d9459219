// Test doubles for the browser globals the socket code uses: a scripted
// WebSocket and the window's online/offline events. Timers are node:test's
// mock timers, enabled by each test.

export class FakeWebSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  /** @type {FakeWebSocket[]} every socket made, oldest first */
  static all = [];

  /** @param {string} url */
  constructor(url) {
    this.url = url;
    this.readyState = FakeWebSocket.CONNECTING;
    /** @type {any[]} frames sent, parsed */
    this.sent = [];
    /** @type {number | undefined} */
    this.closedWith = undefined;
    /** @type {null | (() => void)} */
    this.onopen = null;
    /** @type {null | ((e: {data: unknown}) => void)} */
    this.onmessage = null;
    /** @type {null | (() => void)} */
    this.onclose = null;
    /** @type {null | (() => void)} */
    this.onerror = null;
    FakeWebSocket.all.push(this);
  }

  /** @param {string} data */
  send(data) {
    if (this.readyState !== FakeWebSocket.OPEN) throw new Error('not open');
    this.sent.push(JSON.parse(data));
  }

  /** @param {number} [code] */
  close(code) {
    this.closedWith = code;
    this.readyState = FakeWebSocket.CLOSING;
  }

  // -- what the server (the test) does
  open() {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.();
  }

  /** @param {Record<string, unknown>} frame */
  receive(frame) {
    this.onmessage?.({ data: JSON.stringify({ v: 1, ...frame }) });
  }

  drop() {
    this.readyState = FakeWebSocket.CLOSED;
    this.onclose?.();
  }

  /** @param {string} t @returns {any[]} */
  sentOf(t) {
    return this.sent.filter((f) => f.t === t);
  }

  static get last() {
    return FakeWebSocket.all[FakeWebSocket.all.length - 1];
  }

  static reset() {
    FakeWebSocket.all = [];
  }
}

const target = new EventTarget();

/** Install the fakes on globalThis (idempotent). */
export function installBrowserFakes() {
  /** @type {any} */ (globalThis).WebSocket = FakeWebSocket;
  /** @type {any} */ (globalThis).addEventListener = target.addEventListener.bind(target);
  /** @type {any} */ (globalThis).removeEventListener = target.removeEventListener.bind(target);
  FakeWebSocket.reset();
}

/** The browser says it is back online. */
export function goOnline() {
  target.dispatchEvent(new Event('online'));
}
