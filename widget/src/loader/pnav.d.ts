// The pnav JavaScript API on a partner page (window.pnav), shipped with the package
// data of pnav.server.web (static/widget/pnav.d.ts). Usable before the loader has
// arrived through the queue form, which the loader drains in order:
//
//   window.pnav = window.pnav || [];
//   pnav.push(['on', 'close', () => myButton.focus()]);
//   pnav.push(['open']);
//
// Events carry no data at all: a listener is called with no argument.

/** ready: the banner (or button) is on the page; open / close: the chat panel was
 * shown / minimised; exit: quick exit is leaving the page; unavailable: the chat
 * cannot be offered here (origin not registered, no ticket, panel not loaded). */
export type PnavEvent = 'ready' | 'open' | 'close' | 'exit' | 'unavailable';

export type PnavCommand =
  | ['open']
  | ['close']
  | ['exit']
  | ['on', PnavEvent, () => void];

export interface PnavApi {
  /** Open the chat (its code arrives on the first open). */
  open(): void;
  /** Minimise the chat; the conversation goes on. */
  close(): void;
  /** Quick exit: blank the page and leave it for the neutral page at once. */
  exit(): void;
  /** Call `listener` (with no argument) on `event`; 'ready' and 'unavailable' also
   * reach listeners added after they happened. */
  on(event: PnavEvent, listener: () => void): void;
  /** The queue's form, still accepted once the loader is there. */
  push(command: PnavCommand): void;
}

declare global {
  interface Window {
    /** A command queue until the loader arrives, then the API. */
    pnav?: PnavApi | PnavCommand[];
  }
}
