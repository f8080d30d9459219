// Interface strings. Chat and console strings are separate objects so that each
// bundle only carries its own (esbuild drops the unused one).
// Placeholders are written {name} and filled by format().

/** @typedef {'fr' | 'en'} UiLang */

/** Interface languages, in the order of the language select. */
export const UI_LANGS = /** @type {const} */ ([
  ['fr', 'Français'],
  ['en', 'English'],
]);

/**
 * Pick a supported interface language for a BCP 47 tag ("fr-BE" → "fr").
 * @param {unknown} tag
 * @param {UiLang} [fallback]
 * @returns {UiLang}
 */
export function uiLang(tag, fallback = 'fr') {
  const base = typeof tag === 'string' ? tag.toLowerCase().split('-')[0] : '';
  return base === 'fr' || base === 'en' ? base : fallback;
}

/**
 * @param {string} text
 * @param {Record<string, string | number>} [vars]
 */
export function format(text, vars) {
  return vars ? text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : text;
}

export const chatStrings = {
  fr: {
    title: 'Discussion confidentielle',
    loading: 'Chargement…',
    minimise: 'Réduire la fenêtre',
    quickExit: 'Sortie rapide',
    quickExitHint: 'Sortie rapide : bouton en bas de page, ou appuyez 3 fois sur Maj.',
    intro: 'Parlez gratuitement et anonymement avec une personne formée. Vos messages sont chiffrés.',
    who: 'Vous êtes',
    'who.victim': 'Victime',
    'who.relative': 'Proche d’une victime',
    'who.witness': 'Témoin',
    'who.professional': 'Professionnel·le',
    what: 'Cela concerne',
    'what.sexual': 'Violences sexuelles',
    'what.sexist': 'Violences sexistes',
    'what.domestic': 'Violences conjugales',
    'what.intra_family': 'Violences intrafamiliales',
    'what.cyber_harassment': 'Cyberharcèlement',
    'what.discrimination': 'Discrimination',
    'what.other': 'Autre',
    danger: 'Je suis en danger maintenant',
    dangerNumbers: 'En danger immédiat : appelez le 17 (police) ou le 112. Si vous ne pouvez pas parler : SMS au 114.',
    lang: 'Langue',
    start: 'Commencer la discussion',
    missingWho: 'Dites-nous qui vous êtes.',
    missingWhat: 'Dites-nous de quoi il s’agit.',
    connecting: 'Connexion…',
    waiting: 'En attente d’un·e opérateur·rice…',
    waitingPosition: 'En attente d’un·e opérateur·rice. Position dans la file : {position}',
    active: 'Un·e opérateur·rice est avec vous.',
    reconnecting: 'Reconnexion…',
    closed: 'La discussion est terminée.',
    expired: 'La session a expiré. Nouvelle tentative…',
    lost: 'La discussion n’a pas pu être reprise.',
    input: 'Votre message',
    send: 'Envoyer',
    you: 'Vous',
    operator: 'Opérateur·rice',
    pending: 'envoi…',
    failed: 'non envoyé',
    undecryptable: '[message illisible : impossible de le déchiffrer]',
    tooLong: 'Message trop long.',
    notice: 'Problème : {message}',
    messages: 'Messages',
  },
  en: {
    title: 'Confidential chat',
    loading: 'Loading…',
    minimise: 'Minimise the window',
    quickExit: 'Quick exit',
    quickExitHint: 'Quick exit: the button at the bottom of the page, or press Shift 3 times.',
    intro: 'Talk for free and anonymously with a trained person. Your messages are encrypted.',
    who: 'You are',
    'who.victim': 'A victim',
    'who.relative': 'A relative of a victim',
    'who.witness': 'A witness',
    'who.professional': 'A professional',
    what: 'It is about',
    'what.sexual': 'Sexual violence',
    'what.sexist': 'Sexist violence',
    'what.domestic': 'Domestic (partner) violence',
    'what.intra_family': 'Violence within the family',
    'what.cyber_harassment': 'Cyber-harassment',
    'what.discrimination': 'Discrimination',
    'what.other': 'Something else',
    danger: 'I am in danger right now',
    dangerNumbers: 'In immediate danger: call 17 (police) or 112. If you cannot speak: text 114.',
    lang: 'Language',
    start: 'Start the chat',
    missingWho: 'Tell us who you are.',
    missingWhat: 'Tell us what it is about.',
    connecting: 'Connecting…',
    waiting: 'Waiting for an operator…',
    waitingPosition: 'Waiting for an operator. Position in the queue: {position}',
    active: 'An operator is with you.',
    reconnecting: 'Reconnecting…',
    closed: 'The conversation has ended.',
    expired: 'The session expired. Trying again…',
    lost: 'The conversation could not be resumed.',
    input: 'Your message',
    send: 'Send',
    you: 'You',
    operator: 'Operator',
    pending: 'sending…',
    failed: 'not sent',
    undecryptable: '[unreadable message: could not decrypt]',
    tooLong: 'Message too long.',
    notice: 'Problem: {message}',
    messages: 'Messages',
  },
};

export const consoleStrings = {
  en: {
    username: 'Username',
    password: 'Password',
    login: 'Log in',
    unlocking: 'Unlocking…',
    badCredentials: 'Wrong username or password.',
    serverError: 'The server could not be reached or answered with an error.',
    noDeskKey: 'Logged in, but no desk key could be unlocked.',
    logout: 'Log out',
    queue: 'Queue',
    emptyQueue: 'Nobody is waiting.',
    accept: 'Accept',
    danger: 'DANGER',
    waited: 'waiting {time}',
    conversations: 'Conversations',
    noConversation: 'No conversation open.',
    reply: 'Reply',
    send: 'Send',
    close: 'Close conversation',
    outcome: 'Outcome',
    'outcome.information': 'Information',
    'outcome.referral': 'Referral',
    'outcome.report': 'Report',
    'outcome.emergency': 'Emergency',
    'outcome.person_left': 'Person left',
    'person.connected': 'Person connected',
    'person.disconnected': 'Person disconnected',
    'person.quick_exit': 'Person left by quick exit',
    closedAs: 'Closed ({outcome})',
    person: 'Person',
    operator: 'Operator',
    pending: 'sending…',
    failed: 'not sent',
    undecryptable: '[could not decrypt]',
    noKey: 'The conversation key could not be opened: messages cannot be read.',
    connected: 'Connected',
    reconnecting: 'Reconnecting…',
    taken: 'Another operator already took this conversation.',
    notice: 'Server: {message}',
    dismiss: 'Remove from list',
    'meta.who': 'Who',
    'meta.what': 'About',
    'meta.lang': 'Language',
    title: 'pnav operator console',
    loginTitle: 'Operator login',
  },
  fr: {
    username: 'Identifiant',
    password: 'Mot de passe',
    login: 'Se connecter',
    unlocking: 'Déverrouillage…',
    badCredentials: 'Identifiant ou mot de passe incorrect.',
    serverError: 'Le serveur est injoignable ou a répondu par une erreur.',
    noDeskKey: 'Connecté·e, mais aucune clé de plateau n’a pu être déverrouillée.',
    logout: 'Se déconnecter',
    queue: 'File d’attente',
    emptyQueue: 'Personne n’attend.',
    accept: 'Prendre',
    danger: 'DANGER',
    waited: 'attend depuis {time}',
    conversations: 'Discussions',
    noConversation: 'Aucune discussion ouverte.',
    reply: 'Réponse',
    send: 'Envoyer',
    close: 'Clore la discussion',
    outcome: 'Issue',
    'outcome.information': 'Information',
    'outcome.referral': 'Orientation',
    'outcome.report': 'Signalement',
    'outcome.emergency': 'Urgence',
    'outcome.person_left': 'Personne partie',
    'person.connected': 'Personne connectée',
    'person.disconnected': 'Personne déconnectée',
    'person.quick_exit': 'Personne partie par sortie rapide (quick exit)',
    closedAs: 'Close ({outcome})',
    person: 'Personne',
    operator: 'Opérateur·rice',
    pending: 'envoi…',
    failed: 'non envoyé',
    undecryptable: '[déchiffrement impossible]',
    noKey: 'La clé de la discussion n’a pas pu être ouverte : les messages sont illisibles.',
    connected: 'Connecté·e',
    reconnecting: 'Reconnexion…',
    taken: 'Un·e autre opérateur·rice a déjà pris cette discussion.',
    notice: 'Serveur : {message}',
    dismiss: 'Retirer de la liste',
    'meta.who': 'Qui',
    'meta.what': 'Motif',
    'meta.lang': 'Langue',
    title: 'Console opérateur pnav',
    loginTitle: 'Connexion opérateur',
  },
};

/**
 * A lookup function for one language of a string table; unknown keys fall
 * back to the key itself so a missing string is visible, never a crash.
 * @template {Record<string, Record<string, string>>} T
 * @param {T} table
 * @param {keyof T} lang
 * @returns {(key: string, vars?: Record<string, string | number>) => string}
 */
export function translator(table, lang) {
  const strings = table[lang];
  return (key, vars) => format(strings[key] ?? key, vars);
}
