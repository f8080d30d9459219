// A tiny element builder. Children that are strings become text nodes, so
// text from the network can never be parsed as HTML (no innerHTML anywhere).

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown>} [props] DOM properties; `data-*`, `aria-*`
 *   and `role` are set as attributes; false/null/undefined are skipped
 * @param {...(Node | string | null | undefined | false)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined) continue;
    if (key.startsWith('data-') || key.startsWith('aria-') || key === 'role') {
      if (value !== false) el.setAttribute(key, String(value));
    } else {
      /** @type {any} */ (el)[key] = value;
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

/**
 * "3 min 05 s" style durations for waiting times.
 * @param {number} ms
 */
export function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/**
 * Local "14:05" of an epoch-ms time.
 * @param {number} ms
 * @param {string} [lang]
 */
export function clock(ms, lang) {
  const d = new Date(ms);
  try {
    return d.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
  } catch {
    return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  }
}
