// Scripts the chat loads later from its own server (one language's strings,
// Argon2 for resume codes). A partner page that enforces Trusted Types passes that
// policy on to this frame (a srcdoc inherits the page's CSP), so the URL goes
// through a policy of ours, named 'pnav' like the loader's (docs/privacy.md lists
// the policies tested), which accepts only scripts of the server chat.js came from.

const own = new URL(/** @type {HTMLScriptElement | null} */ (document.currentScript)?.src || location.href).origin;

/** @type {{createScriptURL: (url: string) => unknown} | null | undefined} */
let policy;

/**
 * A script URL of the chat's own server, as the page's policy wants it.
 * @param {string} url absolute
 * @returns {string} a TrustedScriptURL where Trusted Types are on (used as a string)
 */
export function scriptURL(url) {
  if (new URL(url).origin !== own) throw new Error('the chat loads scripts from its own server only');
  const tt = /** @type {any} */ (globalThis).trustedTypes;
  if (!tt) return url;
  policy ??= tt.createPolicy('pnav', { createScriptURL: (/** @type {string} */ u) => u });
  return /** @type {string} */ (/** @type {any} */ (policy).createScriptURL(url));
}
