// Argon2id (hash-wasm, with its two wasm modules) as a bundle of its own, widget/argon2.js.
// The chat needs it only when a resume code is made or typed, so it is not in chat.js:
// shared/crypto.js loads it on demand (setArgon2Loader), from the pnav server under the
// srcdoc's CSP (script-src <server> 'wasm-unsafe-eval'), served no-store like chat.js.
import { argon2id } from './argon2-impl.js';

/** @type {any} */ (globalThis).pnavArgon2id = argon2id;
