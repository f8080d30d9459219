// Only Argon2id of hash-wasm (with its wasm modules), imported on demand by crypto.js
// (the console bundles it; the chat loads it as widget/argon2.js, see argon2.js).
export { argon2id } from 'hash-wasm';
