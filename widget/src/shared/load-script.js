// One of pnav's own scripts, loaded when first needed rather than bundled: Argon2id
// (resume codes, operator login) and the chat's proof-of-work solver. Each such
// script leaves one function on globalThis under its name (shared/argon2.js,
// chat/pow.js); it comes from the pnav server under the page's CSP, with the
// page's nonce where the policy wants one.

/**
 * Load `src` and give the function it left as globalThis[name].
 * @param {string} src the script's URL (a TrustedScriptURL where Trusted Types are on)
 * @param {string} name
 * @param {string} [nonce] the page's script nonce
 * @returns {Promise<any>}
 */
export function loadGlobal(src, name, nonce = '') {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.nonce = nonce;
    script.onload = () => {
      script.remove();
      const fn = /** @type {any} */ (globalThis)[name];
      if (typeof fn === 'function') resolve(fn);
      else reject(new Error(`${name} is not in the script`));
    };
    script.onerror = () => {
      script.remove();
      reject(new Error(`${name} did not load`));
    };
    document.head.append(script);
  });
}
