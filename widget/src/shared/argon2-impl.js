// Only Argon2id of hash-wasm (with its wasm modules), imported on demand by crypto.js
// in Node (the tests); the chat and the console load it as widget/argon2.js (argon2.js).
export { argon2id } from 'hash-wasm';
