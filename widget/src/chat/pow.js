// The proof-of-work solver (altcha-lib, @noble/hashes' SHA-256) as a bundle of its own,
// widget/pow.js: the chat loads it when a ticket brings a challenge, after its first
// screen is up (chat/main.js).
import { solveProofOfWork } from './proof-of-work.js';

/** @type {any} */ (globalThis).pnavSolvePow = solveProofOfWork;
