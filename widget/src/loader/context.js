// Types shared by the loader (loader.js, every page view) and the chat panel
// (panel.js, fetched on the first open). No code: esbuild drops this file.

/**
 * The partner's settings (or only `error` when the server has none for the snippet), written into loader.js by the server (server/web/loader.py).
 * @typedef {object} Config
 * @property {string[]} [origins] the pages allowed to show the banner; left out when the
 *   server saw the page's origin (the snippet's crossorigin) and it is one of them
 * @property {'banner' | 'corner' | 'launcher'} mode
 * @property {'left' | 'right'} [position] the corner button's side (not in banner mode)
 * @property {string} lang
 * @property {'ltr' | 'rtl'} dir the language's writing direction
 * @property {string[]} texts the locale table's banner texts, reworded by the partner: open,
 *   exit, exitLabel, region, leave (server/web/loader.py LOADER_TEXTS)
 * @property {string[]} colors banner, banner_text, then in banner mode only the open
 *   button's: button, button_text
 * @property {string} exit the partner's quick-exit URL ('' for the default)
 * @property {string} [error] the console error for a page whose origin is not in
 *   `origins` (the page's origin is written after it)
 */

/**
 * What the loader hands the panel.
 * @typedef {object} Context
 * @property {Config} cfg
 * @property {URL} src the loader's URL (the pnav server's widget folder)
 * @property {string} nonce the page's CSP nonce, given to what the panel creates
 * @property {<K extends keyof HTMLElementTagNameMap>(tag: K, css: string, name?: string) => HTMLElementTagNameMap[K]} el
 * @property {(text: string, bg: string, fg: string, name: string) => HTMLButtonElement} button
 * @property {(e: HTMLElement) => void} onTop
 * @property {(name: string) => void} emit
 * @property {HTMLElement} bar
 * @property {HTMLButtonElement} openBtn
 * @property {HTMLButtonElement} exitBtn
 * @property {HTMLAnchorElement} leave
 * @property {HTMLElement} spacer
 * @property {() => void} quickExit
 * @property {() => {createHTML: (s: string) => any, createScriptURL: (s: string) => any}} policy
 */

/**
 * @typedef {object} Panel
 * @property {(show: boolean) => void} show
 * @property {() => boolean} visible
 * @property {() => void} exit the chat's part of a quick exit (beacon, tell the chat, remove)
 * @property {() => void} drop remove the chat and forget its tokens
 */

/** @typedef {(ctx: Context) => Panel} PanelFactory */

export {};
