// pnav chat panel, fetched by the loader on the first open: the sandboxed srcdoc
// iframe (opaque origin, never navigated, so the chat server's URL never enters the
// browser's history or session files), the ticket, and the chat's side of a quick
// exit. Everything it creates carries the page's CSP nonce, and its HTML goes
// through the loader's Trusted Types policy, so strict partner policies work.
// Served, like the loader, with the partner's settings written in place of the
// string at the end: here with the texts only the panel shows (fail, retry).
import { closeHelpSites, openHelpSite } from '../shared/quick-exit.js';

((/** @type {any} */ config) => {
  /** @type {import('./context.js').PanelFactory} */
  const make = (ctx) => {
    const { cfg, src, el, button, onTop, emit, bar, openBtn, exitBtn, spacer } = ctx;
    const origin = src.origin;
    const wsOrigin = origin.replace(/^http/, 'ws');
    /** @type {Record<string, string>} */
    const T = config?.texts || {};
    const side = config?.position === 'left' ? 'left' : 'right';

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
    /** @type {Element | null} what had the focus when the chat opened */
    let opener = null;

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
        ctx.quickExit();
      } else if (d.t === 'close') {
        show(false);
      } else if (d.t === 'open' && typeof d.url === 'string' && d.url.length < 4096) {
        // A referral card's web site, which the chat cannot open in a tab it could close.
        const url = httpUrl(d.url);
        if (url) openHelpSite(url);
      } else if (d.t === 'ticket') {
        // The chat's ticket expired before the person pressed start: fetch anew.
        ticket = null;
        fetchTicket();
      } else if (d.t === 'unavailable') {
        // The chat got none of its strings from the server: said here, in the page's
        // language; "Try again" loads the chat afresh (a new frame: no history entry).
        showError(true, reloadChat);
        emit('unavailable');
      }
    });

    function create() {
      panel = el('div', 'position:fixed;z-index:2147483647;display:flex;flex-direction:column;background:#fff;box-shadow:0 0 16px rgba(0,0,0,.35)', 'panel');
      panel.id = 'pnav-panel';
      openBtn.setAttribute('aria-controls', panel.id);
      alertBox = el('div', 'display:none;padding:12px;background:#fff4f2;color:#0b0c0c;font-size:16px;gap:8px;align-items:center;flex-wrap:wrap', 'error');
      alertBox.setAttribute('role', 'alert');
      alertBox.lang = cfg.lang;
      alertBox.dir = cfg.dir;
      frame = chatFrame();
      panel.append(alertBox, frame);
      document.body.append(panel);
      addEventListener('resize', layout);
      visualViewport?.addEventListener('resize', layout);
      visualViewport?.addEventListener('scroll', layout);
      fetchTicket();
    }

    function chatFrame() {
      const iframe = el('iframe', 'display:block;flex:1;width:100%;border:0;background:#fff');
      // The sandbox must be in place before the document is given: never allow-same-origin.
      iframe.setAttribute('sandbox', 'allow-scripts allow-forms allow-popups allow-popups-to-escape-sandbox');
      iframe.setAttribute('referrerpolicy', 'no-referrer');
      iframe.title = 'Chat';
      iframe.srcdoc = ctx.policy().createHTML(chatDocument());
      return iframe;
    }

    function reloadChat() {
      if (!frame) return;
      showError(false);
      ready = false;
      const fresh = chatFrame();
      frame.replaceWith(fresh);
      frame = fresh;
    }

    /**
     * The srcdoc: its own CSP, since an opaque origin has no 'self'. It also inherits
     * the partner page's policy, hence the page's nonce on its script and style.
     */
    function chatDocument() {
      const esc = (/** @type {string} */ s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
      const csp = `default-src 'none'; script-src ${origin} 'wasm-unsafe-eval'; style-src ${origin}; connect-src ${wsOrigin}; img-src data:; base-uri 'none'; form-action 'none'`;
      const n = ctx.nonce ? ` nonce="${esc(ctx.nonce)}"` : '';
      return `<!doctype html><html lang="${esc(config?.page_lang || cfg.lang)}" dir="${cfg.dir}"><head><meta charset="utf-8">` +
        `<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">` +
        '<meta name="referrer" content="no-referrer"><meta name="viewport" content="width=device-width,initial-scale=1">' +
        `<title>Chat</title><link rel="stylesheet"${n} href="${esc(new URL('chat.css', src).href)}"></head>` +
        `<body><script${n} src="${esc(new URL('chat.js', src).href)}"></script></body></html>`;
    }

    function visible() {
      return !!panel && panel.style.display !== 'none';
    }

    /** @param {boolean} on */
    function show(on) {
      if (on === visible()) return;
      if (on) opener = document.activeElement;
      if (on && !panel) create();
      if (!panel) return;
      panel.style.display = on ? 'flex' : 'none';
      openBtn.setAttribute('aria-expanded', String(on));
      if (cfg.mode !== 'banner') {
        // Quick exit on screen whenever the chat is open, whatever the mode.
        exitBtn.style.display = on ? 'inline-block' : 'none';
        if (cfg.mode === 'launcher') bar.style.display = on ? 'flex' : 'none';
      }
      if (on) {
        onTop(panel);
        onTop(bar);
        // The full-screen panel of a phone must not cover the "leave quickly" link.
        onTop(ctx.leave);
        layout();
        frame?.focus();
      } else {
        // Back where the person was: the button, or the partner's own launcher.
        const back = cfg.mode !== 'launcher' ? openBtn : opener;
        if (back instanceof HTMLElement && back.isConnected) back.focus();
      }
      emit(on ? 'open' : 'close');
    }

    /**
     * Above the bar; the whole visible page above it on narrow screens. A phone's
     * on-screen keyboard shrinks the visual viewport, not the layout viewport this
     * fixed panel is placed in: the panel follows the visual one, so that the message
     * box and the messages stay above the keyboard (the bar is then under it).
     */
    function layout() {
      if (!panel || !visible()) return;
      const h = bar.offsetHeight;
      if (cfg.mode === 'banner') spacer.style.height = h + 'px';
      const vv = visualViewport;
      const top = vv ? vv.offsetTop : 0;
      const left = vv ? vv.offsetLeft : 0;
      const end = Math.min(vv ? top + vv.height : innerHeight, bar.getBoundingClientRect().top || innerHeight);
      const bottom = Math.max(0, innerHeight - end) + 'px';
      const narrow = (vv ? vv.width : innerWidth) < 600;
      Object.assign(panel.style, { left: 'auto', right: 'auto' }, narrow
        ? { top: top + 'px', left: left + 'px', right: 'auto', bottom, width: (vv ? vv.width : innerWidth) + 'px', height: 'auto', borderRadius: '0' }
        : { top: 'auto', [side]: '16px', bottom, width: '380px', height: `min(620px, ${end - top - 16}px)`, borderRadius: '8px', overflow: 'hidden' });
    }

    function fetchTicket() {
      if (fetching || ticket) return;
      fetching = true;
      showError(false);
      fetch(new URL('../api/ticket', src).href, {
        method: 'POST', body: JSON.stringify({ partner: config?.partner }), headers: { 'Content-Type': 'text/plain' },
        credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer', mode: 'cors',
      })
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
        .then((t) => {
          if (!t || typeof t.ticket !== 'string' || typeof t.ws !== 'string' || !t.desk_key) throw new Error('bad ticket');
          ticket = t;
          exitUrl = httpUrl(t.exit);
          sendInit();
        })
        .catch(() => {
          showError(true);
          emit('unavailable');
        })
        .finally(() => { fetching = false; });
    }

    /** @param {string} value */
    function httpUrl(value) {
      try {
        const u = new URL(value, src);
        return /^https?:$/.test(u.protocol) ? u.href : '';
      } catch {
        return '';
      }
    }

    function sendInit() {
      if (!ready || !ticket || !frame || !frame.contentWindow) return;
      const { ticket: tk, ws, exit, desk_key, dead_after, resume, service, pow } = ticket;
      // '*' because the sandboxed frame's origin is opaque; the window is ours.
      // dead_after (optional, seconds) can only shorten the chat's dead-socket timeout.
      // resume: the resume-code KDF parameters, checked by the chat (chat/resume.js).
      // service: whether anyone can answer now (the chat's closed view, chat/closed.js).
      // pow: the proof-of-work challenge the chat solves before hello (chat/proof-of-work.js).
      frame.contentWindow.postMessage({ t: 'init', ticket: tk, ws, exit, desk_key, lang: config?.page_lang || cfg.lang, partner: config?.partner, dead_after, resume, service, pow }, '*');
    }

    /** @param {boolean} on @param {() => void} [onRetry] */
    function showError(on, onRetry = fetchTicket) {
      if (!alertBox) return;
      alertBox.replaceChildren();
      alertBox.style.display = on ? 'flex' : 'none';
      if (!on) return;
      const text = el('span', 'color:#0b0c0c;font-size:16px;flex:1 1 12em');
      text.textContent = T.fail;
      const retry = button(T.retry, '#fff', '#0b0c0c', 'retry');
      retry.addEventListener('click', onRetry);
      alertBox.append(text, retry);
    }

    /** The chat's part of a quick exit: hidden at once, the server told, then removed. */
    function exit() {
      try {
        if (frame) frame.style.display = 'none';
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
        // The help-site tabs this panel opened (shared/quick-exit.js keeps them here).
        closeHelpSites();
      } catch { /* keep leaving */ }
      drop();
      exitUrl = '';
    }

    /**
     * Remove the chat and forget its tokens (also on pagehide: a page restored from
     * the back-forward cache shows the banner alone).
     */
    function drop() {
      try {
        frame?.remove();
        panel?.remove();
      } catch { /* keep leaving */ }
      frame = panel = alertBox = ticket = exitToken = null;
      ready = false;
      openBtn.setAttribute('aria-expanded', 'false');
      if (cfg.mode !== 'banner') exitBtn.style.display = 'none';
      if (cfg.mode === 'launcher') bar.style.display = 'none';
    }

    // The chat never goes into the back-forward cache (its socket would keep the page
    // out of it anyway); a page restored from it shows the banner alone. No unload handler.
    addEventListener('pagehide', drop);
    addEventListener('pageshow', (e) => e.persisted && drop());

    return { show, visible, exit, drop };
  };
  const take = /** @type {any} */ (window)[Symbol.for('pnav.panel')];
  if (typeof take === 'function') take(make);
})('__PNAV_CONFIG__');
