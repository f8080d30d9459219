// Referral cards (docs/protocol.md "Crypto formats (v1)", referral messages):
// a helpline or association from the directory, sent by the operator inside an
// encrypted message. The card is data (name, numbers, hours, address of a web
// site), never markup: the chat shows it as text, a phone number as a tel: or
// sms: link, and a web address as text that opens only when the person clicks
// it. Shared by the console (which builds and sends cards) and the chat.

/** @typedef {(key: string, vars?: Record<string, string | number>) => string} T */

/**
 * The fields of a card, in the order they travel (the ciphertext's bytes
 * depend on it: JSON.stringify keeps insertion order, as Python's json does).
 * @typedef {{name: string, description: string, phone: string, sms: string,
 *   url: string, email: string, hours: string}} Card
 */
export const CARD_FIELDS = /** @type {const} */ (['name', 'description', 'phone', 'sms', 'url', 'email', 'hours']);
const LIMITS = { name: 200, description: 2000, phone: 20, sms: 20, url: 500, email: 200, hours: 200 };
// As the directory checks it (src/pnav/server/casework/directory.py).
const PHONE = /^\+?[0-9][0-9 .]{1,19}$/;

/**
 * A card with exactly the card fields, each a string within its limit and a
 * name, or null. What arrives from the other side goes through this first.
 * @param {unknown} value
 * @returns {Card | null}
 */
export function checkCard(value) {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const v = /** @type {Record<string, unknown>} */ (value);
  /** @type {Record<string, string>} */
  const card = {};
  for (const f of CARD_FIELDS) {
    const x = v[f] ?? '';
    if (typeof x !== 'string' || x.length > LIMITS[f]) return null;
    card[f] = x.trim();
  }
  return card.name ? /** @type {Card} */ (card) : null;
}

/**
 * The card of a directory resource (GET /console/api/resources).
 * @param {Record<string, unknown>} r
 * @returns {Card | null}
 */
export function cardOf(r) {
  /** @type {Record<string, unknown>} */
  const picked = {};
  for (const f of CARD_FIELDS) picked[f] = typeof r[f] === 'string' ? r[f] : '';
  return checkCard(picked);
}

/**
 * `tel:` or `sms:` address of a phone number, or null when it is not one.
 * @param {string} number @param {'tel' | 'sms'} scheme
 */
export function phoneHref(number, scheme) {
  return PHONE.test(number) ? `${scheme}:${number.replace(/[ .]/g, '')}` : null;
}

/**
 * The address of a web site when it is an http(s) URL, else null (never a
 * javascript:, data: or any other scheme).
 * @param {string} url
 */
export function webHref(url) {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

/**
 * Opening hours for people: "24/7" in words, day codes as the language's
 * short day names (Mo → "Mon" / "lun."), the rest as written.
 * @param {string} hours @param {T} t @param {string} lang
 */
export function hoursText(hours, t, lang) {
  if (hours === '24/7') return t('card.always');
  /** @type {Record<string, string>} */
  const days = {};
  ['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su'].forEach((code, i) => {
    try {
      // 1 January 2024 was a Monday.
      days[code] = new Intl.DateTimeFormat(lang, { weekday: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, 1 + i)));
    } catch {
      days[code] = code;
    }
  });
  return hours.replace(/\b(Mo|Tu|We|Th|Fr|Sa|Su)\b/g, (d) => days[d]).replace(/-/g, '–');
}

/**
 * The lines of a card as label/value pairs, in display order.
 * @param {Card} card @param {T} t @param {string} lang
 * @returns {Array<{field: string, label: string, value: string}>}
 */
export function cardLines(card, t, lang) {
  /** @type {Array<{field: string, label: string, value: string}>} */
  const lines = [];
  for (const f of ['phone', 'sms', 'url', 'email', 'hours']) {
    const value = card[/** @type {keyof Card} */ (f)];
    if (value) lines.push({ field: f, label: t(`card.${f}`), value: f === 'hours' ? hoursText(value, t, lang) : value });
  }
  return lines;
}

/**
 * The card as plain text: what a client that shows only text displays, and
 * what the console shows of a card it sent.
 * @param {Card} card @param {T} t @param {string} lang
 */
export function cardText(card, t, lang) {
  return [
    card.name,
    card.description,
    ...cardLines(card, t, lang).map((l) => t('card.line', { label: l.label, value: l.value })),
  ].filter(Boolean).join('\n');
}
