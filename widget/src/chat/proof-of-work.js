// The cost of opening a conversation (docs/protocol.md "Ticket", `pow`): an ALTCHA
// challenge that comes with the ticket, solved with WebCrypto while the person reads
// the pre-chat form, so a person never waits for it and a script pays it for every
// conversation it opens. altcha-lib's solver is the one the server's library checks.
import { solveChallenge } from 'altcha-lib/v1';

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
  const { promise } = solveChallenge(challenge.challenge, challenge.salt, 'SHA-256', challenge.maxNumber);
  return promise.then((s) => (s ? {
    algorithm: 'SHA-256',
    challenge: challenge.challenge,
    number: s.number,
    salt: challenge.salt,
    signature: challenge.signature,
  } : null), () => null);
}
