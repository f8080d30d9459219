// pnav loader, the part every page view runs: reads its partner's settings (written
// into this script by the server), draws the banner, corner button or nothing
// (launcher mode), the "leave quickly" link and the quick exit, and serves the
// page's JS API (window.pnav, see pnav.d.ts). The chat panel itself (panel.js)
// arrives on the page's first interaction. Dependency-free and small on purpose (the build
// enforces its byte budget). Styles go through element.style only, so a strict
// partner CSP (no 'unsafe-inline' styles) does not break it. It stores nothing.
import { leaveFor, onShiftThrice } from '../shared/quick-exit.js';

// The server writes the partner's settings, as a JSON object, in place of the
// string below (server/web/loader.py); a loader not served that way has none.
((/** @type {unknown} */ config) => {
  const script = /** @type {HTMLScriptElement | null} */ (document.currentScript);
  const W = /** @type {Window & {pnav?: unknown, trustedTypes?: any}} */ (window);
  /** @type {unknown} */
  const queued = W.pnav;
  // Loaded twice on one page: the first one serves.
  if (!script || !script.src || (queued && !Array.isArray(queued))) return;

  const ds = script.dataset;
  const src = new URL(script.src);
  const nonce = script.nonce || '';
  const TOP = '2147483647';
  // Touch screens get larger targets than the 44 px minimum.
  const MIN = matchMedia('(pointer: coarse)').matches ? '56px' : '44px';

  const cfg = typeof config === 'object' ? /** @type {import('./context.js').Config | null} */ (config) : null;

  /** @type {Record<string, Array<() => void>>} */
  const handlers = {};
  /** @type {Record<string, boolean>} */
  const fired = {};
  /** @type {import('./context.js').Panel | null} */
  let panel = null;
  let loading = false;
  let wanted = false;
  /** @type {any} */
  let tt;

  /** Listeners run in their own microtask, with no argument: events carry no data. @param {string} name */
  function emit(name) {
    if (name === 'ready' || name === 'unavailable') fired[name] = true;
    (handlers[name] || []).forEach((fn) => queueMicrotask(fn));
  }

  /** @type {import('./pnav').PnavApi} the published types (pnav.d.ts), checked here */
  const api = {
    open,
    close() {
      wanted = false;
      panel?.show(false);
    },
    exit: quickExit,
    /** @param {string} name @param {() => void} fn */
    on(name, fn) {
      if (typeof fn !== 'function') return;
      (handlers[name] ||= []).push(fn);
      // Said once per page view: told also to listeners that came late.
      if (fired[name]) queueMicrotask(fn);
    },
    /** The queue's form, also after the loader arrived: pnav.push(['open']). @param {unknown} cmd */
    push(cmd) {
      /** @type {any} */ (api)[/** @type {any} */ (cmd)[0]]?.(.../** @type {any[]} */ (cmd).slice(1));
    },
  };
  W.pnav = api;
  const drain = () => Array.isArray(queued) && queued.forEach(api.push);
  let ok = false;
  // The page's own choice, else the partner's (the server checked it and gives a default).
  const neutral = /^https?:\/\/[^/]/i.test(ds.pnavExit || '') ? /** @type {string} */ (ds.pnavExit) : cfg?.exit || 'about:blank';

  if (!cfg || !cfg.origins.includes(location.origin)) {
    // No banner: a victim must never meet a service that cannot answer. The server
    // words the error, naming the setting to change.
    console.error(cfg?.error, location.origin);
    drain();
    emit('unavailable');
    return;
  }
  const C = cfg;
  const T = C.texts;
  const mode = C.mode;
  const theme = ds.pnavTheme && CSS.supports('color', ds.pnavTheme) ? ds.pnavTheme : C.colors.banner;

  /**
   * Create an element styled through the CSSOM (which a CSP without 'unsafe-inline'
   * styles allows). `all: initial` first, so the partner's own CSS (button { … })
   * cannot restyle or hide it.
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag @param {string} css
   * @returns {HTMLElementTagNameMap[K]}
   */
  function el(tag, css) {
    const e = document.createElement(tag);
    e.style.cssText = 'all:initial;box-sizing:border-box;font:16px system-ui,sans-serif;outline-offset:2px;' + css;
    return e;
  }

  /**
   * Visible focus without a stylesheet; `hide` also hides the element when not focused.
   * @param {HTMLElement} e @param {string} name @param {boolean} [hide]
   */
  function focusable(e, name, hide) {
    e.dataset.pnav = name;
    const on = (/** @type {boolean} */ f) => {
      const st = e.style;
      st.outline = f ? '3px solid #ffdd00' : 'none';
      st.boxShadow = f ? '0 0 0 5px #0b0c0c' : 'none';
      st.clipPath = hide && !f ? 'inset(50%)' : 'none';
    };
    e.addEventListener('focus', () => on(true));
    e.addEventListener('blur', () => on(false));
    on(false);
  }

  /** @param {string} text @param {string} bg @param {string} fg @param {string} name */
  function button(text, bg, fg, name) {
    const b = el('button', `min-width:${MIN};min-height:${MIN};padding:8px 16px;border:2px solid ${fg};border-radius:6px;` +
      `background:${bg};color:${fg};font-weight:700;line-height:1.2;display:inline-block;text-align:center`);
    b.type = 'button';
    b.textContent = text;
    focusable(b, name);
    return b;
  }

  /**
   * Into the top layer, above anything the partner's page stacks with z-index;
   * again on a second call, since the top layer is ordered by the time of showing.
   * @param {HTMLElement} e
   */
  function onTop(e) {
    try {
      e.popover = 'manual';
      e.hidePopover();
      e.showPopover();
    } catch { /* no Popover API: z-index only */ }
  }

  // The bar: full width at the bottom (banner), a corner (corner), or, in launcher
  // mode, only the quick exit while the chat is open. Always fixed and on top (a
  // fixed element is a stacking context of its own).
  // A <section> with a name: a region landmark of its own.
  const bar = el('section', `position:fixed;z-index:${TOP};display:${mode === 'launcher' ? 'none' : 'flex'};flex-wrap:wrap;align-items:center;gap:8px;` + (mode === 'banner'
    ? `left:0;right:0;bottom:0;justify-content:space-between;background:${theme};color:${C.colors.banner_text};` +
      'padding:6px max(12px,env(safe-area-inset-right)) max(6px,env(safe-area-inset-bottom)) max(12px,env(safe-area-inset-left))'
    : `bottom:max(16px,env(safe-area-inset-bottom));${C.position}:16px`));
  bar.dataset.pnav = 'banner';
  bar.setAttribute('aria-label', T.region);
  const openBtn = mode === 'banner'
    ? button(T.open, C.colors.button, C.colors.button_text, 'open')
    : button(T.open, theme, C.colors.banner_text, 'open');
  openBtn.setAttribute('aria-expanded', 'false');
  const exitBtn = button(T.exit, '#d4351c', '#fff', 'exit');
  exitBtn.setAttribute('aria-label', T.exitLabel);
  // Quick exit is on screen whenever the chat is open, whatever the mode.
  if (mode !== 'banner') exitBtn.style.display = 'none';
  if (mode !== 'launcher') bar.append(openBtn);
  bar.append(exitBtn);
  // "Leave quickly": the first stop of the page's tab order, shown only when focused.
  // A real link to the neutral page, so it leaves even if the handler never runs.
  const leave = el('a', `position:fixed;top:env(safe-area-inset-top);left:env(safe-area-inset-left);z-index:${TOP};display:block;` +
    'padding:12px 16px;background:#d4351c;color:#fff;font-size:18px;font-weight:700;text-decoration:underline');
  leave.href = neutral;
  // In the partner's language and its direction (right to left for Arabic, Persian…).
  // In a landmark of its own too, so that nothing of pnav lies outside one (axe "region").
  const nav = el('nav', '');
  nav.setAttribute('aria-label', T.leave);
  nav.append(leave);
  bar.lang = nav.lang = C.lang;
  bar.dir = nav.dir = C.dir;
  leave.textContent = T.leave;
  focusable(leave, 'leave', true);
  leave.addEventListener('click', (e) => {
    e.preventDefault();
    quickExit();
  });
  // Keeps the end of the partner's page reachable above the fixed banner (empty: no
  // semantics for assistive technologies).
  const spacer = el('div', `display:block;height:${mode === 'banner' ? 60 : 0}px`);

  openBtn.addEventListener('click', () => (panel?.visible() ? panel.show(false) : open()));
  exitBtn.addEventListener('click', quickExit);

  // The partner's own elements (data-pnav-launcher="<CSS selector>") open the chat,
  // also those added later: one listener, in the capture phase.
  // (A selector that is not CSS makes the browser name it in the console on a click.)
  const launcher = ds.pnavLauncher;
  if (launcher) {
    addEventListener('click', (e) => {
      if (e.target instanceof Element && e.target.closest(launcher)) {
        e.preventDefault();
        open();
      }
    }, true);
  }

  // Shift pressed three times within 2 s, anywhere on the page (shared/quick-exit.js).
  onShiftThrice(window, quickExit);

  function mount() {
    document.body.prepend(nav);
    document.body.append(spacer, bar);
    onTop(leave);
    onTop(bar);
    emit('ready');
  }
  if (document.body) mount();
  else addEventListener('DOMContentLoaded', mount);

  /** @type {import('./context.js').Context} */
  const ctx = {
    cfg: C, src, nonce, el, button, onTop, emit, bar, openBtn, exitBtn, leave, spacer, quickExit,
    /**
     * Our own Trusted Types policy, "pnav", for the panel's script URL and the chat's
     * srcdoc (both made by pnav's code only: the policy object never leaves pnav).
     * Made on the first open; where the page has no 'pnav' in its trusted-types
     * list, the browser says so in the console and plain strings are tried.
     */
    policy: () => {
      try {
        tt ||= W.trustedTypes?.createPolicy('pnav', { createHTML: (/** @type {string} */ s) => s, createScriptURL: (/** @type {string} */ s) => s });
      } catch { /* see above */ }
      return tt || { createHTML: String, createScriptURL: String };
    },
  };

  // Commands queued before the loader arrived, in order ('ready' is told to late listeners).
  ok = true;
  drain();

  /** Open the chat, as soon as its panel's code is here. */
  function open() {
    if (!ok) return emit('unavailable');
    wanted = true;
    if (panel) panel.show(true);
    else load();
  }

  /**
   * The panel's code (panel.js) arrives on the page's first interaction, any of
   * them, chat or not: what is left of it on the device (Chromium keeps a code-cache
   * entry under the URL of every script that ran) tells nothing of a chat.
   */
  function load() {
    if (loading) return;
    loading = true;
    const key = Symbol.for('pnav.panel');
    /** @type {any} */ (W)[key] = (/** @type {import('./context.js').PanelFactory} */ make) => {
      delete (/** @type {any} */ (W)[key]);
      panel = make(ctx);
      if (wanted) panel.show(true);
    };
    const s = document.createElement('script');
    // With the loader's own query (partner, language): the panel's texts come with it.
    s.src = ctx.policy().createScriptURL(new URL('panel.js' + src.search, src).href);
    s.nonce = nonce;
    s.onerror = () => {
      loading = false;
      emit('unavailable');
    };
    document.head.append(s);
  }
  for (const type of ['pointerdown', 'keydown']) addEventListener(type, load, { once: true, passive: true, capture: true });

  /**
   * Leave now. Synchronous and defensive: every step is wrapped, so nothing can
   * stop the final navigation. The page is blanked first, in this same
   * task, so the next frame painted is blank whatever the chat or the network do.
   * Nothing but the panel's beacon to the pnav server is sent: no analytics, ever.
   */
  function quickExit() {
    try {
      document.documentElement.style.setProperty('visibility', 'hidden', 'important');
      const cover = el('div', `position:fixed;inset:0;background:#fff;z-index:${TOP};visibility:visible;display:block`);
      cover.dataset.pnav = 'cover';
      document.documentElement.append(cover);
      onTop(cover);
    } catch { /* keep leaving */ }
    try {
      panel?.exit();
    } catch { /* keep leaving */ }
    emit('exit');
    // As a followed link, not location.replace(): History records no redirect chain.
    leaveFor(neutral);
  }

})('__PNAV_CONFIG__');
