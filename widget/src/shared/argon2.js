// Argon2id (hash-wasm, with its two wasm modules) as a bundle of its own, widget/argon2.js.
// The chat needs it only when a resume code is made or typed, the console only at login,
// so it is in neither chat.js nor console.js: shared/crypto.js loads it on demand
// (setArgon2Loader, shared/load-script.js), from the pnav server under the page's CSP
// (script-src <server> 'wasm-unsafe-eval'; the console's by nonce), served no-store.
import { argon2id } from './argon2-impl.js';

/** @type {any} */ (globalThis).pnavArgon2id = argon2id;
