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
  // Touch screens get larger targets than the 44 px minimum (WCAG 2.2 AAA target size).
  const MIN = matchMedia('(pointer:coarse)').matches ? 56 : 44;

  // A loader not served by loader.py still has its string here: no texts, no banner.
  const cfg = /** @type {import('./context.js').Config} */ (config);

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
    handlers[name]?.map(queueMicrotask);
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
  const neutral = /^https?:\/\/[^/]/i.test(ds.pnavExit || '') ? /** @type {string} */ (ds.pnavExit) : cfg.exit || 'about:blank';

  if (!cfg.texts || (cfg.origins && !cfg.origins.includes(location.origin))) {
    // No banner: a victim must never meet a service that cannot answer. The server
    // words the error, naming the setting to change.
    console.error(cfg.error, location.origin);
    drain();
    emit('unavailable');
    return;
  }
  const C = cfg;
  // In the order of LOADER_TEXTS and the colours' in server/web/loader.py.
  const [openText, exitText, exitLabel, region, leaveText] = C.texts;
  const [banner, bannerText, buttonBg, buttonText] = C.colors;
  const mode = C.mode;
  // (No attribute: CSS.supports('color', 'undefined') is false.)
  const theme = CSS.supports('color', /** @type {string} */ (ds.pnavTheme)) ? /** @type {string} */ (ds.pnavTheme) : banner;
  // Text on the theme: the partner's, which the server checked against its banner colour
  // (WCAG AA), else black or white, whichever contrasts more with the page's colour: its
  // relative luminance is a sum of its srgb-linear channels (past 0.179, black; the worst
  // case is 4.58:1), opaque. A browser without relative colours keeps the partner's.
  const k = 'clamp(0,(.179 - .2126*r - .7152*g - .0722*b)*1e9,1)';
  const ink = bannerText + (theme === banner ? '' : `;color:color(from ${theme} srgb-linear ${k} ${k} ${k} / 1)`);

  /**
   * Create an element styled through the CSSOM (which a CSP without 'unsafe-inline'
   * styles allows). `all: initial` first, so the partner's own CSS (button { … })
   * cannot restyle or hide it.
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag @param {string} css @param {string} [name] its data-pnav
   * @returns {HTMLElementTagNameMap[K]}
   */
  function el(tag, css, name) {
    const e = document.createElement(tag);
    if (name) e.dataset.pnav = name;
    // outline:revert: the browser's own focus ring (its user-agent rule), which no rule
    // of the partner's page can take away.
    e.style.cssText = 'all:initial;box-sizing:border-box;font:16px system-ui;outline:revert;' + css;
    return e;
  }

  /** @param {string} text @param {string} bg @param {string} fg @param {string} name */
  function button(text, bg, fg, name) {
    // Always in a flex row (the bar, the panel's alert), so a block whatever its display.
    const b = el('button', `min-width:${MIN}px;min-height:${MIN}px;padding:8px 16px;border:2px solid;border-radius:6px;` +
      `background:${bg};color:${fg};font-weight:700`, name);
    b.type = 'button';
    b.textContent = text;
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
    ? `inset:auto 0 0;justify-content:space-between;background:${theme};color:${ink};padding:6px 12px max(6px,env(safe-area-inset-bottom))`
    : `bottom:max(16px,env(safe-area-inset-bottom));${C.position}:16px`), 'banner');
  bar.ariaLabel = region;
  const openBtn = mode === 'banner'
    ? button(openText, buttonBg, buttonText, 'open')
    : button(openText, theme, ink, 'open');
  openBtn.ariaExpanded = 'false';
  const exitBtn = button(exitText, '#d4351c', '#fff', 'exit');
  exitBtn.ariaLabel = exitLabel;
  // Quick exit is on screen whenever the chat is open, whatever the mode.
  if (mode !== 'banner') exitBtn.style.display = 'none';
  if (mode !== 'launcher') bar.append(openBtn);
  bar.append(exitBtn);
  // "Leave quickly": the first stop of the page's tab order, shown only when focused.
  // A real link to the neutral page, so it leaves even if the handler never runs.
  // (A fixed element is a block whatever its display.)
  const leave = el('a', `position:fixed;top:env(safe-area-inset-top);left:0;z-index:${TOP};` +
    'padding:12px 16px;background:#d4351c;color:#fff;font-size:18px;font-weight:700;text-decoration:underline;clip-path:inset(50%)', 'leave');
  // Shown only while focused.
  leave.onfocus = leave.onblur = (e) => (leave.style.clipPath = e.type == 'blur' ? 'inset(50%)' : 'none');
  leave.href = neutral;
  // In the partner's language and its direction (right to left for Arabic, Persian…).
  // In a landmark of its own too, so that nothing of pnav lies outside one (axe "region").
  const nav = el('nav', '');
  nav.ariaLabel = leaveText;
  nav.append(leave);
  bar.lang = nav.lang = C.lang;
  bar.dir = nav.dir = C.dir;
  leave.textContent = leaveText;
  leave.onclick = (e) => {
    e.preventDefault();
    quickExit();
  };
  // Keeps the end of the partner's page reachable above the fixed banner (empty: no
  // semantics for assistive technologies).
  const spacer = el('div', `display:block;height:${mode === 'banner' ? 60 : 0}px`);

  openBtn.onclick = () => (panel?.visible() ? panel.show(false) : open());
  exitBtn.onclick = quickExit;

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
      const same = (/** @type {string} */ s) => s;
      const plain = { createHTML: same, createScriptURL: same };
      try {
        tt ||= W.trustedTypes?.createPolicy('pnav', plain);
      } catch { /* see above */ }
      return tt || plain;
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
  // (load() fetches once, again only after a failed fetch.)
  addEventListener('pointerdown', load, true);
  addEventListener('keydown', load, true);

  /**
   * Leave now. Synchronous and defensive: every step is wrapped, so nothing can
   * stop the final navigation. The page is blanked first, in this same
   * task, so the next frame painted is blank whatever the chat or the network do.
   * Nothing but the panel's beacon to the pnav server is sent: no analytics, ever.
   */
  function quickExit() {
    try {
      document.documentElement.style.setProperty('visibility', 'hidden', 'important');
      const cover = el('div', `position:fixed;inset:0;background:#fff;z-index:${TOP};visibility:visible`, 'cover');
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
