// pnav loader: runs on the partner's page. Draws the banner, opens the chat in
// a sandboxed srcdoc iframe (opaque origin, never navigated, so the chat server's
// URL never enters the browser's history or session files), and performs the
// quick exit. Dependency-free and small on purpose: it loads on every page view.
// Styles go through element.style only, so a strict partner CSP (no
// 'unsafe-inline' styles) does not break it. It stores nothing anywhere.
import { closeHelpSites, leaveFor, onShiftThrice, openHelpSite } from '../shared/quick-exit.js';

(() => {
  const script = /** @type {HTMLScriptElement | null} */ (document.currentScript);
  if (!script || !script.src || document.querySelector('[data-pnav="banner"]')) return;

  const ds = script.dataset;
  const src = new URL(script.src);
  const origin = src.origin;
  const wsOrigin = origin.replace(/^http/, 'ws');
  const partner = ds.pnavPartner || '';
  const lang = /^[a-z]{2,3}(-[a-z0-9]{1,8})*$/i.test(ds.pnavLang || '') ? /** @type {string} */ (ds.pnavLang) : 'fr';
  const fr = lang.slice(0, 2).toLowerCase() === 'fr';
  const neutral = httpUrl(ds.pnavExit) || 'https://www.google.com/';
  const theme = ds.pnavTheme && CSS.supports('color', ds.pnavTheme) ? ds.pnavTheme : '#2b2256';
  const TOP = '2147483647';
  const FOCUS = '#ffdd00';
  // Touch screens get larger targets than the 44 px minimum.
  const MIN = matchMedia('(pointer: coarse)').matches ? '56px' : '44px';

  const T = fr
    ? { open: "Parler à quelqu'un", exit: 'Sortie rapide', exitLabel: 'Sortie rapide : quitter ce site immédiatement', region: 'Aide aux victimes', fail: 'Le service est indisponible pour le moment.', retry: 'Réessayer', leave: 'Quitter ce site rapidement' }
    : { open: 'Talk to someone', exit: 'Quick exit', exitLabel: 'Quick exit: leave this site now', region: 'Victim support', fail: 'The service is unavailable right now.', retry: 'Try again', leave: 'Leave this site quickly' };

  /** @type {HTMLIFrameElement | null} */
  let frame = null;
  /** @type {HTMLElement | null} */
  let panel = null;
  /** @type {HTMLElement | null} */
  let alertBox = null;
  /** @type {{ticket: string, ws: string, exit: string, desk_key: {id: string, public: string}, dead_after?: number, resume?: unknown, service?: unknown, pow?: unknown} | null} */
  let ticket = null;
  /** @type {string | null} */
  let exitToken = null;
  let exitUrl = '';
  let ready = false;
  let fetching = false;

  /** @param {string | undefined} value @param {string | URL} [base] */
  function httpUrl(value, base = location.href) {
    if (!value) return '';
    try {
      const u = new URL(value, base);
      return /^https?:$/.test(u.protocol) ? u.href : '';
    } catch {
      return '';
    }
  }

  /**
   * Create an element styled through the CSSOM. `all: initial` first, so the
   * partner's own CSS (button { … }) cannot restyle or hide the banner.
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @param {Partial<CSSStyleDeclaration>} style
   * @returns {HTMLElementTagNameMap[K]}
   */
  function el(tag, style) {
    const e = document.createElement(tag);
    e.style.setProperty('all', 'initial');
    Object.assign(e.style, { boxSizing: 'border-box', fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif' }, style);
    return e;
  }

  /**
   * Visible focus without a stylesheet; `hide` also hides the element when not focused.
   * @param {HTMLElement} e @param {string} name @param {boolean} [hide]
   */
  function focusable(e, name, hide) {
    e.dataset.pnav = name;
    const on = (/** @type {boolean} */ f) => Object.assign(e.style, f
      ? { outline: '3px solid ' + FOCUS, outlineOffset: '2px', boxShadow: '0 0 0 5px #0b0c0c', clipPath: 'none' }
      : { outline: 'none', boxShadow: 'none', clipPath: hide ? 'inset(50%)' : 'none' });
    e.addEventListener('focus', () => on(true));
    e.addEventListener('blur', () => on(false));
    on(false);
  }

  /**
   * @param {string} text @param {string} bg @param {string} fg @param {string} name
   * @returns {HTMLButtonElement}
   */
  function button(text, bg, fg, name) {
    const b = el('button', {
      minWidth: MIN, minHeight: MIN, padding: '8px 16px', margin: '0', border: '2px solid ' + fg,
      borderRadius: '6px', background: bg, color: fg, fontSize: '16px', fontWeight: '700', lineHeight: '1.2',
      cursor: 'pointer', display: 'inline-flex', alignItems: 'center', justifyContent: 'center', textAlign: 'center',
    });
    b.type = 'button';
    b.textContent = text;
    focusable(b, name);
    return b;
  }

  /**
   * Into the top layer, above anything the partner's page stacks with z-index
   * (a cookie wall, a chat bubble, a modal with z-index 2147483647); again on
   * a second call, since the top layer is ordered by the time of showing.
   * @param {HTMLElement} e
   */
  function onTop(e) {
    try {
      e.popover = 'manual';
      e.hidePopover();
      e.showPopover();
    } catch { /* no Popover API: z-index only */ }
  }

  // Always on screen: fixed, clear of the notch and the home indicator, its own stacking context.
  const banner = el('div', {
    position: 'fixed', left: '0', right: '0', bottom: '0', zIndex: TOP, display: 'flex', flexWrap: 'wrap',
    alignItems: 'center', justifyContent: 'space-between', gap: '8px', background: theme, color: '#fff',
    padding: '6px max(12px, env(safe-area-inset-right)) max(6px, env(safe-area-inset-bottom)) max(12px, env(safe-area-inset-left))',
    boxShadow: '0 -2px 8px rgba(0,0,0,.3)', isolation: 'isolate',
  });
  banner.dataset.pnav = 'banner';
  banner.setAttribute('role', 'region');
  banner.setAttribute('aria-label', T.region);
  banner.lang = lang;
  const openBtn = button(T.open, '#fff', theme, 'open');
  openBtn.setAttribute('aria-expanded', 'false');
  openBtn.setAttribute('aria-controls', 'pnav-panel');
  const exitBtn = button(T.exit, '#d4351c', '#fff', 'exit');
  exitBtn.setAttribute('aria-label', T.exitLabel);
  banner.append(openBtn, exitBtn);
  // "Leave quickly": the first stop of the page's tab order, shown only when focused.
  // A real link to the neutral page, so it leaves even if the handler never runs.
  const leave = el('a', {
    position: 'fixed', top: 'env(safe-area-inset-top)', left: 'env(safe-area-inset-left)', zIndex: TOP, display: 'block', padding: '12px 16px', background: '#d4351c',
    color: '#fff', fontSize: '18px', fontWeight: '700', textDecoration: 'underline',
  });
  leave.href = neutral;
  leave.textContent = T.leave;
  focusable(leave, 'leave', true);
  leave.addEventListener('click', (e) => {
    e.preventDefault();
    quickExit();
  });
  // In a landmark of its own, so that no content of the page lies outside one (axe "region").
  const leaveNav = el('nav', {});
  leaveNav.ariaLabel = T.leave;
  leaveNav.append(leave);
  // Keeps the end of the partner's page reachable above the fixed banner.
  const spacer = el('div', { display: 'block', height: '60px' });
  spacer.setAttribute('aria-hidden', 'true');

  openBtn.addEventListener('click', () => {
    if (!panel) openPanel();
    else showPanel(panel.style.display === 'none');
  });
  exitBtn.addEventListener('click', quickExit);

  // Shift pressed three times within 2 s, anywhere on the page (shared/quick-exit.js).
  onShiftThrice(window, quickExit);

  addEventListener('message', (e) => {
    if (!frame || e.source !== frame.contentWindow) return;
    const d = e.data;
    if (!d || typeof d !== 'object') return;
    if (d.t === 'ready') {
      ready = true;
      sendInit();
    } else if (d.t === 'session' && typeof d.exit_token === 'string' && d.exit_token.length < 4096) {
      exitToken = d.exit_token;
    } else if (d.t === 'exit') {
      quickExit();
    } else if (d.t === 'close') {
      showPanel(false);
    } else if (d.t === 'open' && typeof d.url === 'string' && d.url.length < 4096) {
      // A referral card's web site, which the chat cannot open in a tab it could close.
      const url = httpUrl(d.url);
      if (url) openHelpSite(url);
    } else if (d.t === 'ticket') {
      // The chat's ticket expired before the person pressed start: fetch anew.
      ticket = null;
      fetchTicket();
    }
  });

  function mount() {
    document.body.prepend(leaveNav);
    document.body.append(spacer, banner);
    onTop(leave);
    onTop(banner);
  }
  if (document.body) mount();
  else addEventListener('DOMContentLoaded', mount);

  function openPanel() {
    panel = el('div', { position: 'fixed', zIndex: TOP, display: 'flex', flexDirection: 'column', background: '#fff', boxShadow: '0 0 16px rgba(0,0,0,.35)' });
    panel.id = 'pnav-panel';
    panel.dataset.pnav = 'panel';
    alertBox = el('div', { display: 'none', padding: '12px', background: '#fff4f2', color: '#0b0c0c', fontSize: '16px', gap: '8px', alignItems: 'center', flexWrap: 'wrap' });
    alertBox.setAttribute('role', 'alert');
    alertBox.dataset.pnav = 'error';
    const iframe = el('iframe', { display: 'block', flex: '1', width: '100%', border: '0', background: '#fff' });
    // The sandbox must be in place before the document is given: never allow-same-origin.
    iframe.setAttribute('sandbox', 'allow-scripts allow-forms allow-popups allow-popups-to-escape-sandbox');
    iframe.setAttribute('referrerpolicy', 'no-referrer');
    iframe.title = 'Chat';
    iframe.srcdoc = chatDocument();
    frame = iframe;
    panel.append(alertBox, iframe);
    document.body.append(panel);
    onTop(panel);
    // The full-screen panel of a phone must not cover the "leave quickly" link.
    onTop(leave);
    addEventListener('resize', layout);
    showPanel(true);
    fetchTicket();
  }

  /** The srcdoc: its own CSP, since an opaque origin has no 'self'. */
  function chatDocument() {
    const esc = (/** @type {string} */ s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
    const csp = `default-src 'none'; script-src ${origin} 'wasm-unsafe-eval'; style-src ${origin}; connect-src ${wsOrigin}; img-src data:; base-uri 'none'; form-action 'none'`;
    return `<!doctype html><html lang="${esc(lang)}"><head><meta charset="utf-8">` +
      `<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">` +
      '<meta name="referrer" content="no-referrer"><meta name="viewport" content="width=device-width,initial-scale=1">' +
      `<title>Chat</title><link rel="stylesheet" href="${esc(new URL('chat.css', src).href)}"></head>` +
      `<body><script src="${esc(new URL('chat.js', src).href)}"></script></body></html>`;
  }

  /** @param {boolean} show */
  function showPanel(show) {
    if (!panel) return;
    panel.style.display = show ? 'flex' : 'none';
    openBtn.setAttribute('aria-expanded', String(show));
    if (show) {
      layout();
      frame?.focus();
    } else {
      openBtn.focus();
    }
  }

  /** Above the banner; the whole viewport above it on narrow screens. */
  function layout() {
    if (!panel) return;
    const h = banner.offsetHeight;
    spacer.style.height = h + 'px';
    const narrow = innerWidth < 600;
    Object.assign(panel.style, narrow
      ? { top: '0', left: '0', right: '0', bottom: h + 'px', width: 'auto', height: 'auto', borderRadius: '0' }
      : { top: 'auto', left: 'auto', right: '16px', bottom: h + 8 + 'px', width: '380px', height: `min(620px, calc(100vh - ${h + 24}px))`, borderRadius: '8px', overflow: 'hidden' });
  }

  function fetchTicket() {
    if (fetching || ticket) return;
    fetching = true;
    showError(false);
    fetch(new URL('../api/ticket', src).href, {
      method: 'POST', body: JSON.stringify({ partner }), headers: { 'Content-Type': 'text/plain' },
      credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer', mode: 'cors',
    })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
      .then((t) => {
        if (!t || typeof t.ticket !== 'string' || typeof t.ws !== 'string' || !t.desk_key) throw new Error('bad ticket');
        ticket = t;
        exitUrl = httpUrl(t.exit, src);
        sendInit();
      })
      .catch(() => showError(true))
      .finally(() => { fetching = false; });
  }

  function sendInit() {
    if (!ready || !ticket || !frame || !frame.contentWindow) return;
    const { ticket: tk, ws, exit, desk_key, dead_after, resume, service, pow } = ticket;
    // '*' because the sandboxed frame's origin is opaque; the window is ours.
    // dead_after (optional, seconds) can only shorten the chat's dead-socket timeout.
    // resume: the resume-code KDF parameters, checked by the chat (chat/resume.js).
    // service: whether anyone can answer now (the chat's closed view, chat/closed.js).
    // pow: the proof-of-work challenge the chat solves before hello.
    frame.contentWindow.postMessage({ t: 'init', ticket: tk, ws, exit, desk_key, lang, partner, dead_after, resume, service, pow }, '*');
  }

  /** @param {boolean} on */
  function showError(on) {
    if (!alertBox) return;
    alertBox.replaceChildren();
    alertBox.style.display = on ? 'flex' : 'none';
    if (!on) return;
    const text = el('span', { color: '#0b0c0c', fontSize: '16px', flex: '1 1 12em' });
    text.textContent = T.fail;
    const retry = button(T.retry, '#fff', '#0b0c0c', 'retry');
    retry.addEventListener('click', fetchTicket);
    alertBox.append(text, retry);
  }

  /**
   * Leave now. Synchronous and defensive: every step is wrapped, so a dead
   * iframe or socket can never stop the final navigation. The page is
   * blanked first, in this same task, so the next frame painted is blank
   * whatever the chat or the network are doing: the iframe is hidden and a
   * neutral cover goes over everything (in the top layer where supported).
   * Nothing but the beacon to the pnav server is sent: no analytics, ever.
   */
  function quickExit() {
    try {
      if (frame) frame.style.display = 'none';
      document.documentElement.style.setProperty('visibility', 'hidden', 'important');
      const cover = el('div', { position: 'fixed', inset: '0', background: '#fff', zIndex: TOP, visibility: 'visible', display: 'block' });
      cover.dataset.pnav = 'cover';
      document.documentElement.append(cover);
      onTop(cover);
    } catch { /* keep leaving */ }
    try {
      if (exitToken && exitUrl && !navigator.sendBeacon(exitUrl, exitToken)) {
        fetch(exitUrl, { method: 'POST', body: exitToken, keepalive: true, credentials: 'omit', mode: 'no-cors', cache: 'no-store', referrerPolicy: 'no-referrer' }).catch(() => {});
      }
    } catch { /* keep leaving */ }
    try {
      frame?.contentWindow?.postMessage({ t: 'exit' }, '*');
    } catch { /* keep leaving */ }
    try {
      closeHelpSites();
    } catch { /* keep leaving */ }
    drop();
    exitUrl = '';
    // As a followed link, not location.replace(): History records no redirect chain.
    leaveFor(neutral);
  }

  /**
   * Remove the chat and forget its tokens. Also on pagehide: the chat never
   * goes into the back-forward cache, and a page restored from it shows the
   * banner alone (closing the iframe closes its socket, which would otherwise
   * keep the page out of that cache anyway).
   */
  function drop() {
    try {
      frame?.remove();
      panel?.remove();
    } catch { /* keep leaving */ }
    frame = panel = alertBox = ticket = exitToken = null;
    ready = false;
    openBtn.setAttribute('aria-expanded', 'false');
  }
  addEventListener('pagehide', drop);
  addEventListener('pageshow', (e) => e.persisted && drop());
})();
