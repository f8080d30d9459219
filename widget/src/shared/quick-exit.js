// Quick exit: the gesture, the way out, and the help-site tabs the chat opened.
// Bundled (inlined by esbuild) into both the loader, on the partner's page, and
// the chat, in its sandboxed frame: one gesture, one way to leave.
//
// How the page leaves was chosen by measuring Chromium's History database
// (docs/privacy.md "Quick exit in the browser history"): location.replace(),
// location.assign() and the Navigation API are recorded as a script redirect
// chained from the partner page's visit (LINK|CHAIN_END|CLIENT_REDIRECT,
// from_visit = the partner visit), which tells whoever reads History that a
// quick exit was used. A link followed by its click is recorded as a link click
// (LINK|CHAIN_START|CHAIN_END), and with no referrer it is linked to no earlier
// visit (from_visit 0), with or without the user's activation (Shift gives none).

const SHIFT_PRESSES = 3;
const SHIFT_WINDOW_MS = 2000;

/**
 * Call `onExit` when Shift is pressed three times within 2 s on `target`.
 * Capture phase, so a handler of the page that stops propagation cannot
 * swallow it. Any other key resets the count (as GOV.UK's exit-this-page
 * does), so typing "Je Suis Ici" never leaves by accident. Physical keys
 * only: a script's synthetic events have isTrusted false, and a phone's
 * on-screen keyboard sends no keydown for its shift key (it only changes the
 * next letter), so neither can trigger it; a held key (repeat) counts once.
 * @param {Window} target @param {() => void} onExit
 */
export function onShiftThrice(target, onExit) {
  /** @type {number[]} */
  let presses = [];
  target.addEventListener('keydown', (e) => {
    if (!e.isTrusted) return;
    if (e.key !== 'Shift') {
      presses = [];
      return;
    }
    if (e.repeat) return;
    const now = Date.now();
    presses = presses.filter((t) => now - t < SHIFT_WINDOW_MS);
    presses.push(now);
    if (presses.length >= SHIFT_PRESSES) {
      presses = [];
      onExit();
    }
  }, true);
}

/**
 * Whether a physical keyboard is likely: a fine pointer that can hover (a
 * mouse or a trackpad). Touch-only devices get no Shift×3 hint: their
 * on-screen keyboards cannot make the gesture.
 */
export function keyboardLikely() {
  try {
    return matchMedia('(hover: hover) and (pointer: fine)').matches;
  } catch {
    return true;
  }
}

/**
 * The locale key of the quick-exit hint: with Shift×3 where a physical
 * keyboard is likely, the button alone elsewhere.
 */
export function exitHintKey() {
  return keyboardLikely() ? 'quickExitHint' : 'quickExitHintTouch';
}

/**
 * Leave this page for `url` the way a followed link does: a link element,
 * never put in the page (so no handler of the partner's page sees its click),
 * with no referrer (so the neutral site is not told where the person was, and
 * History links the visit to no earlier one), in this same tab whatever the
 * page's <base target>. It adds a history entry, as any link does; "back"
 * shows the partner's page without the chat (the loader drops it on pagehide).
 * @param {string} url an http(s) URL
 */
export function leaveFor(url) {
  const a = document.createElement('a');
  a.href = url;
  a.target = '_self';
  a.rel = 'noreferrer';
  a.click();
}

/** @type {Window[]} the help-site tabs opened through openHelpSite */
const helpTabs = [];
/** @type {HTMLIFrameElement | null} the hidden blank frame that opens them */
let tabOpener = null;

/**
 * Open a help site (a referral card's web address) in a new tab that quick
 * exit can close again. Measured in Chromium: a page may close a tab only if
 * it could navigate it, which needs the tab's opener to be reachable; so the
 * tab keeps an opener, but a hidden blank frame of this page rather than the
 * page itself: the help site can neither navigate that frame nor the page
 * (SecurityError), and this page can still close the tab. The tab starts
 * blank (ours to script), then follows a link with no referrer to the site.
 * Returns false when the browser refused the tab (a popup blocker).
 * @param {string} url an http(s) URL
 */
export function openHelpSite(url) {
  if (!tabOpener?.isConnected) {
    // hidden: display none, so out of the tab order and the accessibility tree.
    tabOpener = document.createElement('iframe');
    tabOpener.hidden = true;
    document.documentElement.append(tabOpener);
  }
  const tab = tabOpener.contentWindow?.open('', '_blank');
  if (!tab) return false;
  try {
    const a = tab.document.createElement('a');
    a.href = url;
    a.rel = 'noreferrer';
    a.click();
  } catch {
    // A tab we cannot script is a tab we could not vouch for: close it.
    tab.close();
    return false;
  }
  helpTabs.push(tab);
  return true;
}

/**
 * Close every help-site tab opened through openHelpSite that is still open.
 * Browsers let a page close the tabs its script opened; one the person has
 * since closed or the browser refuses to close is skipped.
 */
export function closeHelpSites() {
  for (const tab of helpTabs.splice(0)) {
    try {
      tab.close();
    } catch {
      // closed already, or not closable: nothing more this page can do
    }
  }
}
