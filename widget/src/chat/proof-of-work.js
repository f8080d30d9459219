// The cost of opening a conversation (docs/protocol.md "Ticket", `pow`): an ALTCHA
// challenge that comes with the ticket, solved with WebCrypto while the person reads
// the pre-chat form, so a person never waits for it and a script pays it for every
// conversation it opens. altcha-lib's solver is the one the server's library checks.
// WebCrypto exists only in a secure context, which a chat frame on an http:// partner
// page is not: there, the same search runs with @noble/hashes' SHA-256.
import { solveChallenge } from 'altcha-lib/v1';
import { sha256 } from '@noble/hashes/sha256';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';

/**
 * @typedef {object} Challenge the ticket answer's `pow`
 * @property {string} algorithm
 * @property {string} challenge
 * @property {number} maxNumber
 * @property {string} salt
 * @property {string} signature
 *
 * @typedef {{algorithm: string, challenge: string, number: number, salt: string, signature: string}} Solution
 */

/** @param {any} c @returns {c is Challenge} */
function isChallenge(c) {
  return !!c && c.algorithm === 'SHA-256' && typeof c.challenge === 'string' && typeof c.salt === 'string'
    && typeof c.signature === 'string' && Number.isInteger(c.maxNumber) && c.maxNumber > 0 && c.maxNumber <= 1e7;
}

/**
 * Start solving; the promise gives what `hello` carries as `pow` (null when the
 * challenge is missing or has no solution: the server then says bad_pow).
 * @param {unknown} challenge
 * @returns {Promise<Solution | null>}
 */
export function solveProofOfWork(challenge) {
  if (!isChallenge(challenge)) return Promise.resolve(null);
  const promise = globalThis.crypto?.subtle
    ? solveChallenge(challenge.challenge, challenge.salt, 'SHA-256', challenge.maxNumber).promise
    : solveWithoutWebCrypto(challenge);
  return promise.then((s) => (s ? {
    algorithm: 'SHA-256',
    challenge: challenge.challenge,
    number: s.number,
    salt: challenge.salt,
    signature: challenge.signature,
  } : null), () => null);
}

/**
 * ALTCHA's search (SHA-256 of salt + number equal to the challenge) without WebCrypto,
 * in slices so that the page stays responsive.
 * @param {Challenge} c @returns {Promise<{number: number} | null>}
 */
function solveWithoutWebCrypto(c) {
  return new Promise((resolve) => {
    let n = 0;
    const slice = () => {
      for (const end = Math.min(n + 2000, c.maxNumber + 1); n < end; n += 1) {
        if (bytesToHex(sha256(utf8ToBytes(c.salt + n))) === c.challenge) {
          resolve({ number: n });
          return;
        }
      }
      if (n > c.maxNumber) resolve(null);
      else setTimeout(slice, 0);
    };
    slice();
  });
}
